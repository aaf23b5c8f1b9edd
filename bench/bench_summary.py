"""The summary of ``make bench`` (``bench/run_all.py``): one row per figure, each as a ratio to the
same run's no-op ceiling, whether the books were exact, and the machine's load before each benchmark.

Pure logic, no benchmark is run here (``tests/unit/bench`` tests it): ``Figure`` and ``Books`` are what
a benchmark's JSON says, ``BenchResult`` one benchmark's outcome, ``summary`` the document written to
``bench/results/summary.json``, ``table`` what is printed, ``exit_code`` the run's verdict: non-zero
when a benchmark failed or its books were not exact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured rate against its ceiling: ``ratio`` = value ÷ ceiling (both per second)."""

    name: str
    value: float  # per second
    unit: str  # what is counted per second: "req/s", "orders/s", "ops/s", ...
    ceiling: float | None  # per second; None: the in-process no-op ceiling the runner measured
    ceiling_name: str = ""
    meaning: str = ""

    def against(self, in_process_ceiling: float | None) -> dict[str, Any]:
        ceiling = self.ceiling if self.ceiling is not None else in_process_ceiling
        name = self.ceiling_name or ("no-op tx" if self.ceiling is None else "ceiling")
        return {
            "figure": self.name,
            "value": round(self.value, 1),
            "unit": self.unit,
            "ceiling": round(ceiling, 1) if ceiling else None,
            "ceiling_name": name,
            "ratio": ratio(self.value, ceiling),
            "meaning": self.meaning,
        }


@dataclass(frozen=True)
class Books:
    """Whether a benchmark that moved money or stock left it exact, and what was checked."""

    exact: bool
    checked: str


@dataclass
class BenchResult:
    name: str
    command: list[str]
    load_before: tuple[float, float, float]
    seconds: float = 0.0
    status: str = "ok"  # "ok" or "failed"
    error: str = ""
    figures: list[Figure] = field(default_factory=list)
    books: Books | None = None
    in_process_ceiling: float | None = None  # no-op transactions/s measured just before, if needed

    def row(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "status": self.status,
            "error": self.error,
            "command": " ".join(self.command),
            "seconds": round(self.seconds, 1),
            "load_average_before": list(self.load_before),
            "in_process_ceiling_per_s": round(self.in_process_ceiling, 1)
            if self.in_process_ceiling
            else None,
            "figures": [f.against(self.in_process_ceiling) for f in self.figures],
            "books": asdict(self.books) if self.books else None,
        }


def ratio(value: float | None, ceiling: float | None) -> float | None:
    """``value`` as a share of ``ceiling``; None when either is missing or the ceiling is not positive."""
    if value is None or ceiling is None or ceiling <= 0:
        return None
    return round(value / ceiling, 3)


def per_second(p50_ms: float | None) -> float:
    """A latency as a rate: operations per second at the median (one at a time)."""
    if not p50_ms or p50_ms <= 0:
        raise ValueError(f"no median latency to turn into a rate: {p50_ms!r}")
    return 1000.0 / p50_ms


def failed(result: BenchResult) -> bool:
    return result.status != "ok" or (result.books is not None and not result.books.exact)


def exit_code(results: list[BenchResult]) -> int:
    return 1 if any(failed(r) for r in results) else 0


def summary(
    results: list[BenchResult], *, command: str, wall_seconds: float, machine: dict[str, Any]
) -> dict[str, Any]:
    return {
        "benchmark": "all",
        "command": command,
        "wall_seconds": round(wall_seconds, 1),
        "machine": machine,
        "ratios": (
            "each figure ÷ its ceiling in the same run: HTTP benchmarks against the health route "
            "(GET /api/v1/health) measured by the same script with the same load shape; in-process "
            "benchmarks against no-op transactions per second (a unit of work running SELECT 1 and "
            "committing, on a SQLite file) measured by the runner just before that benchmark"
        ),
        "ok": exit_code(results) == 0,
        "benchmarks": [r.row() for r in results],
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


def table(results: list[BenchResult], title: str) -> Table:
    t = Table(title=title)
    for name in ("benchmark", "figure", "per s", "ceiling per s", "ratio", "books", "load before", "s"):
        t.add_column(name, justify="left" if name in ("benchmark", "figure", "books") else "right")
    for r in results:
        load = f"{r.load_before[0]:.2f}"
        books = "-" if r.books is None else ("exact" if r.books.exact else "[red]NOT EXACT[/red]")
        if r.status != "ok":
            t.add_row(
                r.name, f"[red]FAILED[/red]: {r.error[:70]}", "", "", "", books, load, f"{r.seconds:.0f}"
            )
            continue
        for i, f in enumerate(r.figures):
            row = f.against(r.in_process_ceiling)
            t.add_row(
                r.name if i == 0 else "",
                f"{f.name} ({f.unit})",
                _fmt(row["value"]),
                f"{_fmt(row['ceiling'])} {row['ceiling_name']}",
                _fmt(row["ratio"]),
                books if i == 0 else "",
                load if i == 0 else "",
                f"{r.seconds:.0f}" if i == 0 else "",
            )
    return t

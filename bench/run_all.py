"""Every benchmark in ``bench/`` at a size that fits ten minutes, one summary table of ratios.

    make bench                         # = python bench/run_all.py
    python bench/run_all.py --only flash_sale,catalog --out bench/results/summary.json

Each benchmark runs as a subprocess with its own small size flags and ``--json`` into a temporary
file; the runner reads the file and turns what the benchmark reports into figures per second, each
against a ceiling measured in the same run (``bench_summary``):

- HTTP benchmarks against the health route, measured by the same script under the same load shape
  (the flash sale's ``noop_rps``; the catalog's ``health`` endpoint);
- in-process benchmarks against no-op transactions per second (a unit of work that runs
  ``SELECT 1`` and commits, on a SQLite file), measured by the runner just before the benchmark, so
  the ratio says how many trivial round trips one operation costs, whatever the machine's load;
- the live fan-out against what it had to deliver (events × viewers): the share delivered.

The load average is recorded before each benchmark. A benchmark that fails (exit status, no JSON, a
figure missing) shows as failed and the run exits non-zero, after running the rest. Benchmarks that
move money or stock report whether the books were exact: the flash sale's oversold / duplicates /
every order paid, and ``laotie ledger check`` on its kept database; the refund benchmarks' own
ledger checks. The flash sale and the catalog also run on PostgreSQL (databases named
``laotie_bench_runall_*``, dropped afterwards), the flash sale with one API process and with two.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402

from bench_summary import BenchResult, Books, Figure, exit_code, per_second, summary, table  # noqa: E402

# A table wider than a pipe's default 80 columns: the summary is also read from logs.
console = Console(width=None if sys.stdout.isatty() else 150)
Extract = Callable[[Any], tuple[list[Figure], Books | None]]


@dataclass(frozen=True)
class Spec:
    name: str
    script: str
    args: list[str]
    extract: Extract
    in_process: bool  # the figures are against the runner's no-op ceiling
    timeout_s: int = 240


# ---- what each benchmark's JSON says -------------------------------------------------------------


def _ledger_check(url: str) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "laotie.cli", "ledger", "check", "--database-url", url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=300,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()[-200:]


def flash_sale(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    exact = (
        doc["oversold"] == 0
        and doc["duplicates"] == 0
        and doc["stock_mismatch"] == 0
        and doc["orders_paid"] == doc["orders_created"]
    )
    checked = (
        f"oversold {doc['oversold']}, duplicates {doc['duplicates']}, "
        f"paid {doc['orders_paid']}/{doc['orders_created']}"
    )
    kept = doc.get("workdir")
    url = _kept_database_url(doc)
    if url:
        ledger_ok, tail = _ledger_check(url)
        exact = exact and ledger_ok
        checked += f", laotie ledger check {'ok' if ledger_ok else 'FAILED: ' + tail}"
        _drop_kept(doc)
    if kept:
        shutil.rmtree(kept, ignore_errors=True)
    workers = doc.get("workers", 1)
    shown = f" ({workers} workers)" if workers > 1 else ""
    placements = Figure(
        "placements (buy-now answers)" + shown,
        doc["orders_per_s"],
        "answers/s",
        doc["noop_rps"],
        "health",
        "buy-now answers per second over the rush ÷ health requests per second under the same burst",
    )
    paid = Figure(
        "completed (paid) orders" + shown,
        doc["completed_orders_per_s"],
        "orders/s",
        doc["noop_rps"],
        "health",
        f"orders paid ÷ seconds from the rush's first request to the last paid; the last paid "
        f"{doc['paid_after_rush_s']} s after the rush; server CPU {doc['pay_server_cpu_ms_per_order']} ms "
        "per paid order",
    )
    return [placements, paid], Books(exact, checked)


def _kept_database_url(doc: dict[str, Any]) -> str | None:
    """Where a kept flash-sale run's books are: its SQLite file, or its PostgreSQL database."""
    if doc.get("database") == "postgres":
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{doc['database_name']}"
    if doc.get("workdir"):
        return f"sqlite:///{Path(doc['workdir']) / 'flash.db'}"
    return None


def _drop_kept(doc: dict[str, Any]) -> None:
    if doc.get("database") != "postgres":
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{doc["database_name"]}" WITH (FORCE)'))
    admin.dispose()


def catalog(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    by = {r["endpoint"]: r for r in doc["results"]}
    errors = {name: r["errors"] for name, r in by.items() if r["errors"]}
    if errors:
        raise ValueError(f"HTTP errors: {errors}")
    health = by["health"]["requests_per_s"]
    return [
        Figure(name, by[name]["requests_per_s"], "req/s", health, "health", "same connections, same run")
        for name in by
        if name != "health"
    ], None


def search(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    q = doc["in_process"]["all"]
    meaning = f"search_products in process, one thread; NDCG@10 {doc['relevance']['ndcg_at_10']}"
    return [Figure("product search", q["qps"], "queries/s", None, meaning=meaning)], None


def scores(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    rate = per_second(doc["apply"]["with_commit_p50_ms"])
    return [
        Figure("review event applied", rate, "events/s", None, meaning="1000 ÷ p50 ms, with commit")
    ], None


def pricing(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    r = doc["results"]
    return [
        Figure("price a cart (reads + pricing)", per_second(r["price_cart"]["p50_ms"]), "carts/s", None),
        Figure("checkout over ASGI", per_second(r["checkout_http"]["p50_ms"]), "checkouts/s", None),
    ], None


def shipping(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    return [
        Figure(
            "checkout with templates",
            per_second(doc["checkout_with_templates"]["p50_ms"]),
            "checkouts/s",
            None,
        ),
        Figure("tracking poll", doc["tracking"]["parcels_per_s"], "parcels/s", None),
    ], None


def moderate(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    rate = doc["in_process"]["texts_per_second"]
    return [Figure("classify a text", rate, "texts/s", None, meaning="in process, no database")], None


def aftersales_refund(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    r = doc["refunds"]
    figure = Figure("refund-only case opened + approved", per_second(r["p50_ms"]), "refunds/s", None)
    return [figure], Books(bool(r["ledger_ok"]), "ledger.check after the refunds")


def counterfeit_refund(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    r = doc["results"][0]
    exact = bool(r["ledger_check_ok"]) and r["failed_orders"] == 0
    checked = f"laotie ledger check {'ok' if r['ledger_check_ok'] else 'FAILED'}, failed orders {r['failed_orders']}"
    return [Figure("counterfeit bulk refund", r["orders_per_s"], "orders/s", None)], Books(exact, checked)


def social_fanout(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    if not doc["correct"]:
        raise ValueError(
            f"{doc['notifications']} notifications for {doc['fans']} fans (replay {doc['after_replay']})"
        )
    return [
        Figure("live-start notifications", doc["notifications_per_second"], "notifications/s", None)
    ], None


def live_fanout(doc: Any) -> tuple[list[Figure], Books | None]:
    r = doc[-1] if isinstance(doc, list) else doc
    seconds = r["seconds"]
    figure = Figure(
        "room events delivered",
        r["events_delivered"] / seconds,
        "events/s",
        r["events_expected"] / seconds,
        "events due",
        f"every viewer must get every event; comment p50 {r['p50_ms']} ms; {r['viewers_failed']} viewers failed",
    )
    return [figure], None


def search_engines(doc: dict[str, Any]) -> tuple[list[Figure], Books | None]:
    out = []
    for name, r in doc["engines"].items():
        if "error" in r:
            raise ValueError(f"{name}: {r['error']}")
        out.append(Figure(f"bare engine {name}", per_second(r["p50_ms"]), "queries/s", None))
    return out, None


def _flags(line: str) -> list[str]:
    """A benchmark's command-line flags, written as one would type them."""
    return line.split()


SPECS = [
    Spec(
        "flash_sale",
        "flash_sale.py",
        ["--db", "sqlite", "--buyers", "2000", "--stock", "500", "--keep"],
        flash_sale,
        False,
    ),
    Spec(
        "flash_sale_postgres",
        "flash_sale.py",
        _flags("--db postgres --database laotie_bench_runall_flash --buyers 2000 --stock 500 --keep"),
        flash_sale,
        False,
    ),
    Spec(
        "flash_sale_postgres_2_workers",
        "flash_sale.py",
        _flags(
            "--db postgres --database laotie_bench_runall_flash2 --buyers 2000 --stock 500 --workers 2 --keep"
        ),
        flash_sale,
        False,
    ),
    Spec(
        "catalog",
        "catalog.py",
        _flags(
            "--db sqlite --products 10000 --seed bulk --clients 100 --duration 5 --endpoints list,detail,page"
        ),
        catalog,
        False,
    ),
    Spec(
        "catalog_postgres_2_workers",
        "catalog.py",
        _flags(
            "--db postgres --database laotie_bench_runall_catalog --workers 2 --products 10000 --seed bulk --clients 100 --duration 5 --endpoints list,detail,page"
        ),
        catalog,
        False,
    ),
    Spec(
        "search",
        "search.py",
        ["--db", "sqlite", "--products", "5000", "--queries", "300", "--no-http"],
        search,
        True,
    ),
    Spec(
        "scores",
        "scores.py",
        [
            "--db",
            "sqlite",
            "--shops",
            "50",
            "--products",
            "2000",
            "--reviews",
            "20000",
            "--events",
            "200",
            "--warmup",
            "20",
        ],
        scores,
        True,
    ),
    Spec("pricing", "pricing.py", ["--iterations", "500", "--checkouts", "20"], pricing, True),
    Spec("shipping", "shipping.py", ["--db", "sqlite", "--rounds", "150", "--parcels", "50"], shipping, True),
    Spec("moderate", "moderate.py", ["--texts", "5000", "--cli-texts", "2000"], moderate, True),
    Spec(
        "aftersales_refund",
        "aftersales_refund.py",
        ["--orders", "8", "--rounds", "5000"],
        aftersales_refund,
        True,
    ),
    Spec(
        "counterfeit_refund",
        "counterfeit_refund.py",
        ["--backend", "sqlite", "--orders", "500", "--buyers", "200"],
        counterfeit_refund,
        True,
    ),
    Spec("social_fanout", "social_fanout.py", ["--db", "sqlite", "--fans", "5000"], social_fanout, True),
    Spec(
        "live_fanout",
        "live_fanout.py",
        ["--viewers", "200", "--comments-per-s", "20", "--seconds", "5", "--drain", "3"],
        live_fanout,
        False,
    ),
    Spec(
        "search_engines",
        "search_engines.py",
        ["--products", "5000", "--queries", "200", "--database", "laotie_bench_runall_engines"],
        search_engines,
        True,
    ),
]


# ---- running ------------------------------------------------------------------------------------


def noop_ceiling(seconds: float = 1.5) -> float:
    """No-op transactions per second at the median: a unit of work, SELECT 1, commit, on SQLite."""
    from sqlalchemy import text

    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work

    workdir = Path(tempfile.mkdtemp(prefix="laotie-bench-noop-"))
    db = Database(f"sqlite:///{workdir / 'noop.db'}")
    samples: list[float] = []
    try:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(samples) < 50:
            start = time.perf_counter()
            with unit_of_work(db) as session:
                session.execute(text("SELECT 1"))
                session.commit()
            samples.append(time.perf_counter() - start)
    finally:
        db.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1.0 / statistics.median(samples)


def _load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def run_one(spec: Spec, scratch: Path) -> BenchResult:
    out = scratch / f"{spec.name}.json"
    command = [sys.executable, str(ROOT / "bench" / spec.script), *spec.args, "--json", str(out)]
    shown = ["python", f"bench/{spec.script}", *spec.args, "--json", "OUT"]
    ceiling = noop_ceiling() if spec.in_process else None
    result = BenchResult(spec.name, shown, _load(), in_process_ceiling=ceiling)
    log = scratch / f"{spec.name}.log"
    started = time.perf_counter()
    with console.status(f"{spec.name}: {' '.join(shown)}"), log.open("wb") as sink:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            returncode = proc.wait(timeout=spec.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the benchmark's own servers and clients too
            proc.wait()
            returncode = None
    result.seconds = time.perf_counter() - started
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    try:
        if returncode is None:
            raise RuntimeError(f"timed out after {spec.timeout_s} s")
        if not out.exists():
            raise RuntimeError(f"exit status {returncode}, no JSON: {' | '.join(tail)}")
        result.figures, result.books = spec.extract(json.loads(out.read_text()))
        if returncode != 0:
            raise RuntimeError(f"exit status {returncode}: {' | '.join(tail)}")
    except Exception as exc:  # a failed benchmark is a row in the table, not the end of the run
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
    console.print(
        f"{spec.name}: {result.status} in {result.seconds:.0f} s (load before {result.load_before[0]})"
        + (f" — {result.error}" if result.error else "")
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "summary.json")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and their commands")
    args = parser.parse_args()
    chosen = [s for s in SPECS if not args.only or s.name in args.only.split(",")]
    if args.list:
        for s in chosen:
            console.print(f"{s.name}: python bench/{s.script} {' '.join(s.args)}")
        return
    unknown = set(filter(None, args.only.split(","))) - {s.name for s in SPECS}
    if unknown:
        parser.error(f"unknown benchmarks: {sorted(unknown)}")
    scratch = Path(tempfile.mkdtemp(prefix="laotie-bench-all-"))
    started = time.perf_counter()
    machine: dict[str, Any] = {"nproc": os.cpu_count(), "load_average_at_start": list(_load())}
    machine["started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        results = [run_one(spec, scratch) for spec in chosen]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - started
    command = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    document = summary(results, command=command, wall_seconds=wall, machine=machine)
    console.print(table(results, f"Laotie benchmarks, ratios to each run's no-op ceiling ({wall:.0f} s)"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    console.print(f"written to {args.out}")
    sys.exit(exit_code(results))


if __name__ == "__main__":
    main()

"""``laotie simulate``: run the marketplace simulator (``sim.market``) and report what it measured.

Each run gets a fresh SQLite database in a temporary directory unless ``--database-url`` names one
(migrated here; it must have no shops). ``--policy`` may be given more than once (``--policy laotie
--policy gmv``): the same seed runs under each policy, each on its own fresh database, side by side.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


def _migrated(url: str) -> None:
    from laotie.categories import service as categories
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.migrations import upgrade

    upgrade(url)
    db = Database(url)
    try:
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            session.commit()
    finally:
        db.dispose()


def _run(url: str, options: Any, bar: Progress) -> dict[str, Any]:
    from laotie.core.db import Database
    from laotie.sim.market.run import simulate

    task = bar.add_task(f"[{options.policy}] 开店建档 building the world", total=options.days)

    def progress(_: str, done: int, total: int) -> None:
        bar.update(task, completed=done, total=total, description=f"[{options.policy}] 模拟 simulating days")

    _migrated(url)
    db = Database(url)
    try:
        return simulate(db, options, progress)
    finally:
        db.dispose()


def simulate(
    days: Annotated[int, typer.Option(min=1, max=365, help="simulated days")] = 30,
    buyers: Annotated[int, typer.Option(min=1, max=100_000, help="synthetic buyers")] = 300,
    merchants: Annotated[
        int, typer.Option(min=1, max=10_000, help="merchants (60% there at the start)")
    ] = 40,
    policy: Annotated[
        list[str] | None,
        typer.Option(help="traffic policy: laotie or gmv; repeat to compare on the same seed"),
    ] = None,
    seed: Annotated[int, typer.Option(help="the same seed gives the same run")] = 14,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the metrics as JSON instead of a table")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="write report.html (charts) and metrics JSON here")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="run on this database (no shops in it); default a fresh SQLite file"
        ),
    ] = None,
) -> None:
    """Simulate buyers, merchants and creators on the real services and measure the traffic policy."""
    from laotie import bootstrap
    from laotie.feed import service as feed
    from laotie.sim.market import report
    from laotie.sim.market.run import EmptyDatabaseRequired, Options

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    policies = list(dict.fromkeys(policy or ["laotie"]))
    unknown = [p for p in policies if p not in feed.POLICIES]
    if unknown:
        raise typer.BadParameter(
            f"unknown policy {', '.join(unknown)}; choose from {', '.join(feed.POLICIES)}"
        )
    if database_url and len(policies) > 1:
        raise typer.BadParameter("one database holds one run: compare policies without --database-url")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="laotie-sim-") as scratch,
        Progress(*columns, console=console) as bar,
    ):
        for name in policies:
            options = Options(days=days, buyers=buyers, merchants=merchants, policy=name, seed=seed)
            url = database_url or f"sqlite:///{Path(scratch) / f'sim-{name}.db'}"
            try:
                runs.append(_run(url, options, bar))
            except EmptyDatabaseRequired as exc:
                console.print(f"[red]数据库里已有店铺[/red] {exc}")
                raise typer.Exit(2) from None
    if as_json:
        print(report.to_json(runs[0] if len(runs) == 1 else {"runs": runs}))
    else:
        for m in runs:
            Console().print(report.table(m))
    if out is not None:
        for path in report.write(out, runs):
            console.print(f"written {path}")

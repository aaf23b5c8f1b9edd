"""The demo's past: before the demo's own shops are seeded, the marketplace simulator (``sim.market``)
runs the last ``days`` days on the same database, so the demo opens with a marketplace that has
lived: shops that opened and closed, orders in every state, returns, reviews and the scores made
from them, follows, reports and decided cases, and the feed's impression log.

It runs only on a database without shops (a fresh demo); a demo started again keeps its history.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.money import yuan_short
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.shops import service as shops

BUYERS = 80
MERCHANTS = 12
SEED = 14


def has_shops(database_url: str) -> bool:
    db = Database(database_url)
    try:
        with unit_of_work(db, read_only=True) as session:
            return shops.list_shops(session, PageParams(limit=1, offset=0)).total > 0
    finally:
        db.dispose()


def seed_history(
    database_url: str,
    days: int,
    media_dir: Path,
    console: Console,
    buyers: int = BUYERS,
    merchants: int = MERCHANTS,
) -> dict[str, Any] | None:
    """Simulate the ``days`` days before today on a database without shops; the run's metrics, or
    None when the database already has shops (its history, if any, is already there)."""
    from laotie.sim.market.run import Options, simulate

    if days <= 0 or has_shops(database_url):
        return None
    options = Options(
        days=days,
        buyers=buyers,
        merchants=merchants,
        seed=SEED,
        start=clock.now() - timedelta(days=days),
    )
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    db = Database(database_url)
    try:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("模拟历史 simulated history (days)", total=days)

            def progress(_: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            metrics = simulate(db, options, progress, media_dir=media_dir)
    finally:
        db.dispose()
    console.print(
        f"[green]历史已生成[/green] {days} days simulated: {metrics['orders']} orders, "
        f"GMV ¥{yuan_short(metrics['gmv_fen'])}, {metrics['tally']['reviews']} reviews",
        soft_wrap=True,
    )
    return metrics

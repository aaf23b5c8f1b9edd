"""``laotie search …``: rebuild the search index (with a progress bar). A Typer sub-app of ``cli``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

app = typer.Typer(help="The search index.", no_args_is_help=True)
console = Console()

LABELS = {
    "products": "商品 products",
    "live": "直播 live sessions",
    "videos": "短视频 videos",
    "terms": "词表 terms",
}


@app.command("reindex")
def reindex(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default the settings'"
        ),
    ] = None,
) -> None:
    """Rebuild the whole index from the catalog, live sessions and videos; searches keep working."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.search.reindex import reindex_all
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    url = database_url or get_settings().database_url
    db = Database(url)
    tasks: dict[str, TaskID] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar:

            def progress(what: str, done: int, total: int | None) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(LABELS.get(what, what), total=total)
                bar.update(tasks[what], completed=done, total=total if total is not None else done)

            out = reindex_all(db, progress)
    finally:
        db.dispose()
    console.print(
        f"[green]索引已重建[/green] {out.products} products, {out.live_sessions} live sessions, "
        f"{out.videos} videos, {out.terms} terms"
    )

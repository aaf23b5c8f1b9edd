"""``laotie scores rebuild``: recompute every score from the kept inputs. A Typer sub-app of ``cli``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Scores (DSR, 品退率, 商品分, 价格力, 商家体验分).", no_args_is_help=True)
console = Console()


@app.command("rebuild")
def rebuild(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default the settings'"
        ),
    ] = None,
) -> None:
    """Sum the day counters again from the kept inputs and recompute every product, shop and promoter
    (after a formula change); consequences follow, readers keep reading meanwhile."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.scores import service as scores
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    db = Database(database_url or get_settings().database_url)
    try:
        with console.status("rebuilding scores") as status:

            def progress(kind: str, done: int) -> None:
                status.update(f"rebuilding scores: {kind} {done:,}")

            out = scores.rebuild(db, progress)
    finally:
        db.dispose()
    console.print(
        f"day rows {out.daily_rows:,}, products {out.products:,}, shops {out.shops:,}, promoters {out.users:,}"
    )

"""``laotie sandbox carrier advance <tracking number or order id>``: move a sandbox parcel's tracking
ahead (the next node, or ``--to delivered``), so delivery and what follows can be tried at once. A
Typer sub-app of ``cli``; the staff route ``POST /api/v1/sandbox/carrier/advance`` does the same."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

sandbox_app = typer.Typer(help="Sandbox providers (tests and demos only).", no_args_is_help=True)
carrier_app = typer.Typer(help="The sandbox carrier network.", no_args_is_help=True)
sandbox_app.add_typer(carrier_app, name="carrier")
console = Console()


@carrier_app.command("advance")
def advance(
    reference: Annotated[str, typer.Argument(help="tracking number or order id")],
    to: Annotated[str, typer.Option(help="next: the next tracking node; delivered: up to 签收")] = "next",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default the settings'"
        ),
    ] = None,
) -> None:
    """Reveal a sandbox parcel's next tracking node now (or everything up to 签收)."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.core.errors import AppError
    from laotie.core.uow import unit_of_work
    from laotie.logistics import service as logistics
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    db = Database(database_url or get_settings().database_url)
    try:
        with unit_of_work(db) as session:
            try:
                out = logistics.sandbox_advance(session, reference, to)
            except AppError as exc:
                console.print(f"[red]{exc.code}[/red] {exc.message('zh')}")
                raise typer.Exit(1) from None
            session.commit()
    finally:
        db.dispose()
    latest = out.nodes[0] if out.nodes else None
    console.print(
        f"订单 {out.order_id} · {out.carrier_name} {out.tracking_no} · {out.status.value}"
        + (f" · {latest.description}" if latest else "")
    )

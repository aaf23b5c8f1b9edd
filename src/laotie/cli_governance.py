"""``laotie governance …``: load the rulebook, and run the penalty clock by hand. A Typer sub-app of ``cli``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from laotie.cli_counterfeit import counterfeit_refund

app = typer.Typer(help="Governance: the rule center, penalties, counterfeit refunds.", no_args_is_help=True)
console = Console()
DbOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default the settings'"
    ),
]


@app.command("seed-rules")
def seed_rules(database_url: DbOption = None) -> None:
    """Load the rulebook (src/laotie/governance/data/rules.json); rules already present stay as they are."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.governance import service as governance
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    db = Database(database_url or get_settings().database_url)
    try:
        with unit_of_work(db) as session:
            added = governance.seed_rules(session)
            total = len(governance.list_rules(session))
            session.commit()
    finally:
        db.dispose()
    console.print(f"规则中心 rulebook: [bold]{added}[/bold] 条新增 added, {total} 条在用 in force")


@app.command("end-penalties")
def end_penalties(database_url: DbOption = None) -> None:
    """End every penalty whose time is up and close shops whose appeal window has passed (the
    periodic jobs do this every minute; this is for an operator in a hurry)."""
    from laotie import bootstrap
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.governance import service as governance
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    db = Database(database_url or get_settings().database_url)
    try:
        with unit_of_work(db) as session:
            ended = governance.end_due_penalties(session)
            closed = governance.finish_closures(session)
            session.commit()
    finally:
        db.dispose()
    console.print(f"到期解除 ended: {ended} · 清退 closed: {closed}")


# The counterfeit procedure's bulk refund lives beside its domain code (``cli_counterfeit``).
app.command("counterfeit-refund")(counterfeit_refund)

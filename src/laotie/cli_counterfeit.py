"""``laotie governance counterfeit-refund``: start (or resume) a counterfeit procedure's bulk refund
and watch it with a progress bar; the final report is printed when it is done.

Killing it at any moment is safe: run it again with ``--run`` and it refunds what is left, each
order exactly once (see ``governance/counterfeit_refund.py``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
DbOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="LAOTIE_DATABASE_URL", help="SQLAlchemy URL; default the settings'"
    ),
]


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def counterfeit_refund(
    run: Annotated[int | None, typer.Option("--run", help="resume this run")] = None,
    shop: Annotated[int | None, typer.Option("--shop", help="start: the shop that sold fakes")] = None,
    product: Annotated[
        list[int] | None, typer.Option("--product", help="start: a counterfeit product id")
    ] = None,
    case: Annotated[int | None, typer.Option("--case", help="start: the decided case")] = None,
    reason: Annotated[str, typer.Option("--reason", help="start: why")] = "",
    staff_id: Annotated[
        int | None, typer.Option("--staff-id", help="start: the governance user acting")
    ] = None,
    compensation_multiple: Annotated[int, typer.Option("--compensation-multiple", help="3: 假一赔三")] = 3,
    batch: Annotated[int, typer.Option("--batch", min=1, max=5000)] = 200,
    database_url: DbOption = None,
) -> None:
    """Refund every open and recently completed order of a shop's counterfeit products."""
    from laotie import bootstrap
    from laotie.accounts import service as accounts
    from laotie.core.auth import Principal, Role
    from laotie.core.db import Database
    from laotie.core.errors import AppError
    from laotie.core.uow import unit_of_work
    from laotie.governance import counterfeit
    from laotie.governance.counterfeit_refund import drive
    from laotie.governance.counterfeit_schemas import RunOut
    from laotie.governance.models_integrity import CounterfeitRun
    from laotie.settings import get_settings

    bootstrap.wire()  # every model, handler, job, provider and ledger check

    db = Database(database_url or get_settings().database_url)
    try:
        if run is None:
            if shop is None or not product or staff_id is None:
                console.print("[red]需要 --run，或 --shop、--product 和 --staff-id[/red]")
                raise typer.Exit(2)
            with unit_of_work(db) as session:
                roles = set(accounts.get_user_out(session, staff_id).roles)
                if not roles & {Role.GOVERNANCE, Role.ADMIN}:
                    console.print("[red]FORBIDDEN[/red] 该用户没有治理权限")
                    raise typer.Exit(1)
                staff = Principal(user_id=staff_id, roles=frozenset(roles))
                try:
                    out = counterfeit.start(
                        session,
                        staff,
                        shop_id=shop,
                        product_ids=list(product),
                        reason=reason or "售假处置",
                        case_id=case,
                        compensation_multiple=compensation_multiple,
                    )
                except AppError as exc:
                    console.print(f"[red]{exc.code}[/red] {exc.message('zh')}")
                    raise typer.Exit(1) from None
                session.commit()
                run = out.id
            console.print(f"售假处置已启动：运行 #{run}（提现已冻结，商品已下架）")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("退款 refunding", total=None)

            def progress(r: CounterfeitRun) -> None:
                bar.update(
                    task,
                    completed=r.refunded_orders + r.skipped_orders + r.failed_orders,
                    total=r.total_orders,
                )

            try:
                drive(db, run, batch=batch, progress=progress)
            except AppError as exc:
                console.print(f"[red]{exc.code}[/red] {exc.message('zh')}")
                raise typer.Exit(1) from None
        with unit_of_work(db, read_only=True) as session:
            report: RunOut = counterfeit.get_run(session, run)
    finally:
        db.dispose()
    table = Table("项目 item", "数值 value", title=f"售假退款报告 run #{report.id}")
    table.add_row("状态 status", report.status)
    table.add_row("退款订单 orders refunded", f"{report.refunded_orders:,}")
    table.add_row("无需退款 skipped", f"{report.skipped_orders:,}")
    table.add_row("失败 failed", f"{report.failed_orders:,}")
    table.add_row("买家 buyers", f"{report.buyers:,}")
    table.add_row("退款金额 refunded", yuan(report.refunded_fen))
    table.add_row("假一赔三赔付 compensation", yuan(report.compensation_fen))
    table.add_row("  店铺余额支付 funded", yuan(report.compensation_funded_fen))
    table.add_row("  店铺欠款 owed", yuan(report.compensation_owed_fen))
    console.print(table)
    if report.failed_orders:
        raise typer.Exit(3)

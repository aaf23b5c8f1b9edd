"""Merchant console, 资金: the shop's balances (待结算, 可提现, 提现中, 已提现), the statement page by
page, withdrawals and the payout account, through the settlement service the JSON API uses.

Only the owner sees and changes the payout account and withdraws (the service says so); another
member of the shop sees balances and the statement. A withdrawal form carries a fresh idempotency
key, so a double submit withdraws once.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.money import format_yuan
from laotie.core.pagination import PageParams
from laotie.settlement import service as settlement
from laotie.settlement.schemas import PayoutAccountIn, StatementLineOut
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.labels import LEDGER_ACCOUNTS, STATEMENT_KINDS, WITHDRAWAL_STATUS
from laotie.web.rendering import PageRoute, order_numbers, redirect, render

router = APIRouter(prefix="/merchant", include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20


def _order_numbers(session: Session, lines: list[StatementLineOut]) -> dict[str, str]:
    """Statement lines point at orders by id; show the order number the buyer and merchant know."""
    ids = [
        int(line.reference_id)
        for line in lines
        if line.reference_type == "order" and line.reference_id.isdigit()
    ]
    return {str(i): number for i, number in order_numbers(session, ids).items()}


def _account(session: Session, principal: Principal, shop_id: int) -> tuple[bool, Any]:
    """(may this person manage the payout account and withdraw, the account or None)."""
    try:
        return True, settlement.get_payout_account(session, principal, shop_id)
    except AppError:
        return False, None


def _not_yours(exc: AppError) -> None:
    """Another shop's money is answered 403/404 (the error page), never a redirect hinting it exists."""
    if exc.status in (401, 403, 404):
        raise exc


@router.get("/shops/{shop_id}/funds", response_class=HTMLResponse)
def funds_page(
    request: Request,
    shop_id: PathId,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    balance = settlement.shop_balance(
        session, principal, shop_id, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    owner, account = _account(session, principal, shop_id)
    withdrawals = settlement.list_withdrawals(session, principal, shop_id, PageParams(limit=10), None)
    return render(
        request,
        session,
        principal,
        "merchant/funds.html",
        shop=shops.get_shop(session, shop_id),
        balance=balance,
        statement=balance.statement,
        order_numbers=_order_numbers(session, balance.statement.items),
        owner=owner,
        account=account,
        withdrawals=withdrawals.items,
        accounts_zh=LEDGER_ACCOUNTS,
        kinds_zh=STATEMENT_KINDS,
        withdrawal_zh=WITHDRAWAL_STATUS,
        idempotency_key=secrets.token_urlsafe(18),
        base=f"/merchant/shops/{shop_id}/funds",
        query={},
    )


@router.post("/shops/{shop_id}/funds/withdraw", response_model=None)
def withdraw(
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """提现: the amount in yuan, to the payout account."""
    data = forms.fields(form)
    back = f"/merchant/shops/{shop_id}/funds"
    try:
        amount_fen = forms.parse_yuan(data.get("amount", ""), "提现金额")
        out = settlement.request_withdrawal(
            session, principal, shop_id, amount_fen, data.get("idempotency_key", "")
        )
    except AppError as exc:
        session.rollback()
        return redirect(back, exc.message("zh")[:200])
    session.commit()
    return redirect(
        back, f"提现申请已提交：{format_yuan(out.amount_fen)}，到账 {out.bank_name} {out.account_masked}"
    )


@router.post("/shops/{shop_id}/funds/account", response_model=None)
def set_account(
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """The bank account withdrawals go to (shown masked afterwards)."""
    data = forms.fields(form)
    back = f"/merchant/shops/{shop_id}/funds"
    try:
        body = PayoutAccountIn(
            holder_name=data.get("holder_name", ""),
            bank_name=data.get("bank_name", ""),
            account_number=data.get("account_number", ""),
        )
        settlement.set_payout_account(session, principal, shop_id, body)
    except ValidationError:
        session.rollback()
        return redirect(back, "请检查收款账户：户名、开户行和 8 到 30 位银行卡号")
    except AppError as exc:
        session.rollback()
        _not_yours(exc)
        return redirect(back, exc.message("zh")[:200])
    session.commit()
    return redirect(back, "收款账户已保存")

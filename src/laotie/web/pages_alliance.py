"""好物联盟 for creators: the market, a creator's showcase (橱窗), earnings with the withdrawal of
settled commission (提现), and becoming a creator."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.accounts import service as accounts
from laotie.affiliate import service as affiliate
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.money import format_yuan
from laotie.core.pagination import PageParams
from laotie.scores import service as scores
from laotie.settlement.schemas import PayoutAccountIn
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 20
PageNo = Annotated[int, Query(ge=1, le=1000)]


@router.get("/alliance", response_class=HTMLResponse)
def market_page(
    request: Request,
    page: PageNo = 1,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    result = affiliate.market(session, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    mine: set[int] = set()
    if principal is not None and principal.has(Role.CREATOR):
        mine = {i.product.id for i in affiliate.showcase(session, principal.user_id).items}
    dsr = scores.shop_scores(session, {i.product.shop_id for i in result.items})  # 店铺评分 on each card
    return render(
        request, session, principal, "alliance/market.html", result=result, mine=mine, query={}, dsr=dsr
    )


@router.post("/alliance/join", response_model=None)
def become_creator(
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """成为达人: the creator role is self-service (as the accounts API allows); the form must say so."""
    if forms.fields(form).get("role") != Role.CREATOR.value:
        return redirect("/alliance", "请确认成为达人")
    accounts.grant_role(session, principal.user_id, Role.CREATOR)
    session.commit()
    return redirect("/alliance", "你已成为达人，去选品吧")


@router.post("/alliance/{product_id}/showcase", response_model=None)
def add_to_showcase(
    product_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = require_roles(Role.CREATOR),
) -> RedirectResponse:
    try:
        affiliate.add_to_showcase(session, principal, product_id)
    except AppError as exc:
        session.rollback()
        return redirect("/alliance", exc.message("zh"))
    session.commit()
    return redirect("/alliance", "已加入橱窗")


@router.get("/creator/earnings", response_class=HTMLResponse)
def earnings_page(
    request: Request,
    page: PageNo = 1,
    session: Session = Depends(get_session),
    principal: Principal = require_roles(Role.CREATOR),
) -> HTMLResponse:
    earned = affiliate.earnings(
        session, principal, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    return render(
        request,
        session,
        principal,
        "alliance/earnings.html",
        earned=earned,
        account=affiliate.creator_payout_account(session, principal),
        withdrawals=affiliate.commission_withdrawals(session, principal, PageParams(limit=5, offset=0)).items,
        # A fresh key per rendering: a double submit of the same form withdraws once.
        idempotency_key=secrets.token_urlsafe(18),
        query={},
    )


@router.post("/creator/earnings/withdraw", response_model=None)
def withdraw_commission(
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = require_roles(Role.CREATOR),
) -> RedirectResponse:
    """提现: the amount in yuan, to the payout account set below."""
    data = forms.fields(form)
    try:
        amount_fen = forms.parse_yuan(data.get("amount", ""), "amount")
        out = affiliate.withdraw_commission(session, principal, amount_fen, data.get("idempotency_key", ""))
    except AppError as exc:
        session.rollback()
        return redirect("/creator/earnings", exc.message("zh")[:200])
    session.commit()
    return redirect(
        "/creator/earnings", f"提现申请已提交：{format_yuan(out.amount_fen)}，到账 {out.account_masked}"
    )


@router.post("/creator/earnings/account", response_model=None)
def set_payout_account(
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = require_roles(Role.CREATOR),
) -> RedirectResponse:
    """The bank account withdrawals go to (shown masked afterwards)."""
    data = forms.fields(form)
    try:
        body = PayoutAccountIn(
            holder_name=data.get("holder_name", ""),
            bank_name=data.get("bank_name", ""),
            account_number=data.get("account_number", ""),
        )
        affiliate.set_creator_payout_account(session, principal, body)
    except ValidationError:
        session.rollback()
        return redirect("/creator/earnings", "请检查收款账户：户名、开户行和 8 到 30 位银行卡号")
    session.commit()
    return redirect("/creator/earnings", "收款账户已保存")


@router.get("/creator/{creator_id}", response_class=HTMLResponse)
def showcase_page(
    request: Request,
    creator_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    shown = affiliate.showcase(session, creator_id)
    fans = social.fans(session, TargetKind.USER, creator_id, principal)
    return render(request, session, principal, "alliance/showcase.html", showcase=shown, fans=fans)

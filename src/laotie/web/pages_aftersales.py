"""售后 pages: the buyer's 申请售后 form and case page (timeline, evidence, ship back, escalate), the
merchant's 售后 queue and actions, the governance 纠纷 queue with both sides' evidence."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.aftersales import service as aftersales
from laotie.aftersales.schemas import CaseIn, CaseLineIn, CaseStatus, DecisionIn, ShipBackIn
from laotie.core.auth import AnyUser, Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.core.request_body import BodyLimit, body_limit
from laotie.orders import service as orders
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.labels import CARRIERS, ORDER_EVENTS
from laotie.web.rendering import PageRoute, order_numbers, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
PAGE_SIZE = 20

KIND_LABELS = {"return": "退货退款", "refund_only": "仅退款", "price_protection": "七天保价"}
REASON_LABELS = {
    "no_reason": "七天无理由",
    "quality": "质量问题",
    "wrong_item": "发错货",
    "damaged": "商品破损",
    "not_received": "未收到货",
    "changed_mind": "不想要了",
    "price_drop": "商品降价",
}
CASE_STATUS = {
    "requested": "待商家处理",
    "approved": "待买家退货",
    "returning": "退货寄回中",
    "received": "商家已收货",
    "refunded": "退款成功",
    "rejected": "商家已拒绝",
    "in_review": "平台审核中",
    "disputed": "平台介入中",
    "closed": "已关闭",
    "cancelled": "已撤销",
}
CASE_EVENTS = {
    "opened": "提交申请",
    "instant": "极速退款",
    "approved": "商家同意",
    "auto_approved": "超时自动同意",
    "rejected": "商家拒绝",
    "shipped_back": "买家寄回",
    "received": "商家确认收货",
    "refunded": "商家退款",
    "auto_refunded": "超时自动退款",
    "evidence": "上传凭证",
    "escalated": "申请平台介入",
    "to_review": "转平台审核",
    "decided": "平台判责",
    "decision_refund": "平台判定退款",
    "decision_return": "平台判定退货",
    "decision_reject": "平台驳回",
    "cancelled": "买家撤销",
    "restocked": "退回商品已重新上架",
    "not_restocked": "退回商品破损，未入库",
    "credit_sent": "运费补偿打款中",
    "credit_paid": "运费补偿已到账",
    "credit_failed": "运费补偿打款失败",
}
PARTY_LABELS = {"buyer": "买家", "merchant": "商家", "staff": "平台", "system": "系统"}
LABELS: dict[str, Any] = {
    "kinds": KIND_LABELS,
    "reasons": REASON_LABELS,
    "statuses": CASE_STATUS,
    "case_events": CASE_EVENTS,
    "parties": PARTY_LABELS,
    "order_events": ORDER_EVENTS,
}


@router.get("/orders/{order_id}/aftersales", response_class=HTMLResponse)
def apply_page(
    request: Request,
    order_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    order = orders.buyer_order(session, principal, order_id)
    lines = orders.refundable_order(session, order_id).lines
    cases = aftersales.buyer_cases(session, principal, PageParams(limit=20, offset=0), order_id)
    return render(
        request,
        session,
        principal,
        "aftersales/apply.html",
        order=order,
        lines=lines,
        cases=cases.items,
        idempotency_key=secrets.token_urlsafe(18),
        **LABELS,
    )


def _quantities(data: dict[str, str]) -> list[CaseLineIn]:
    out = []
    for name, value in data.items():
        if name.startswith("qty_") and value.strip() not in ("", "0"):
            out.append(CaseLineIn(line_id=int(name[4:]), quantity=int(value)))
    return out


@router.post("/orders/{order_id}/aftersales", response_model=None, openapi_extra=body_limit(BodyLimit.IMAGES))
def apply(
    request: Request,
    order_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    try:
        evidence = [
            aftersales.upload_evidence(
                session,
                request.app.state.storage,
                principal,
                forms.upload_bytes(f, request.app.state.settings.max_upload_bytes),
                "申请凭证",
            ).id
            for f in forms.uploads(form, "photos")
        ]
        amount = data.get("amount", "").strip()
        body = CaseIn(
            order_id=order_id,
            kind=data.get("kind", ""),  # type: ignore[arg-type]
            reason=data.get("reason", ""),  # type: ignore[arg-type]
            lines=_quantities(data),
            amount_fen=forms.parse_yuan(amount, "amount") if amount else None,
            description=data.get("description", "")[:500],
            evidence_ids=evidence,
        )
        case = aftersales.open_case(session, principal, body, data.get("idempotency_key", ""))
    except (AppError, ValidationError, ValueError) as exc:
        session.rollback()
        message = exc.message("zh") if isinstance(exc, AppError) else "请检查申请内容"
        return redirect(f"/orders/{order_id}/aftersales", message[:200])
    session.commit()
    return redirect(f"/aftersales/{case.id}", "售后申请已提交")


@router.get("/aftersales/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    case = aftersales.get_case(session, principal, case_id)
    party = (
        "buyer"
        if case.buyer_id == principal.user_id
        else ("staff" if principal.is_staff and not _member(session, case.shop_id, principal) else "merchant")
    )
    return render(
        request,
        session,
        principal,
        "aftersales/case.html",
        case=case,
        party=party,
        order_nos=order_numbers(session, [case.order_id]),
        carriers=CARRIERS,
        key=secrets.token_urlsafe(18),
        **LABELS,
    )


def _member(session: Session, shop_id: int, principal: Principal) -> bool:
    try:
        shops.require_shop_member(session, shop_id, principal)
    except AppError:
        return False
    return True


Action = Literal["approve", "reject", "receive", "refund", "cancel", "escalate", "ship-back", "evidence"]


@router.post(
    "/aftersales/{case_id}/{action}", response_model=None, openapi_extra=body_limit(BodyLimit.IMAGES)
)
def act(
    request: Request,
    case_id: PathId,
    action: Action,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    note = data.get("note", "")[:500]
    try:
        if action == "approve":
            aftersales.approve(session, principal, case_id)
        elif action == "reject":
            aftersales.reject(session, principal, case_id, note)
        elif action == "receive":
            aftersales.receive(session, principal, case_id)
        elif action == "refund":
            aftersales.refund_received(session, principal, case_id)
        elif action == "cancel":
            aftersales.cancel(session, principal, case_id)
        elif action == "escalate":
            aftersales.escalate(session, principal, case_id, note)
        elif action == "ship-back":
            fee = data.get("shipping", "").strip()
            body = ShipBackIn(
                carrier=data.get("carrier", ""),
                tracking_no=data.get("tracking_no", "").strip(),
                shipping_fen=forms.parse_yuan(fee, "shipping") if fee else 0,
            )
            aftersales.ship_back(session, principal, case_id, body)
        else:
            for f in forms.uploads(form, "photos"):
                limit = request.app.state.settings.max_upload_bytes
                aftersales.upload_evidence(
                    session, request.app.state.storage, principal, forms.upload_bytes(f, limit), note, case_id
                )
    except (AppError, ValidationError) as exc:
        session.rollback()
        return redirect(
            f"/aftersales/{case_id}", exc.message("zh") if isinstance(exc, AppError) else "请检查填写内容"
        )
    session.commit()
    return redirect(f"/aftersales/{case_id}", "已提交")


@router.get("/merchant/aftersales", response_model=None)
def merchant_queue(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    my_shops = [s for s in shops.shops_of(session, principal.user_id) if s.status.value != "applying"]
    current = (
        next((s for s in my_shops if s.id == shop), None) if shop else (my_shops[0] if my_shops else None)
    )
    if current is None:
        return redirect("/merchant", "还没有可管理的店铺")
    wanted = CaseStatus(status) if status in CASE_STATUS else None
    result = aftersales.shop_cases(
        session, principal, current.id, PageParams(limit=PAGE_SIZE, offset=0), wanted
    )
    return render(
        request,
        session,
        principal,
        "aftersales/merchant_queue.html",
        shop=current,
        my_shops=my_shops,
        result=result,
        order_nos=order_numbers(session, [c.order_id for c in result.items]),
        status=status if wanted else "",
        tabs=("", "requested", "returning", "received", "disputed", "refunded"),
        **LABELS,
    )


@router.get("/governance/aftersales", response_class=HTMLResponse)
def dispute_queue(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    result = aftersales.governance_queue(session, PageParams(limit=50, offset=0))
    return render(
        request,
        session,
        principal,
        "aftersales/disputes.html",
        result=result,
        order_nos=order_numbers(session, [c.order_id for c in result.items]),
        **LABELS,
    )


@router.get("/governance/aftersales/{case_id}", response_class=HTMLResponse)
def dispute_page(
    request: Request, case_id: PathId, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    view = aftersales.dispute_view(session, case_id)
    return render(
        request,
        session,
        principal,
        "aftersales/dispute.html",
        view=view,
        order_nos=order_numbers(session, [view.case.order_id]),
        key=secrets.token_urlsafe(18),
        **LABELS,
    )


@router.post("/governance/aftersales/{case_id}/decide", response_model=None)
def decide(
    case_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    data = forms.fields(form)
    try:
        amount = data.get("amount", "").strip()
        body = DecisionIn(
            decision=data.get("decision", ""),  # type: ignore[arg-type]
            fault_party=data.get("fault_party", "none"),  # type: ignore[arg-type]
            amount_fen=forms.parse_yuan(amount, "amount") if amount else None,
            note=data.get("note", "")[:500],
        )
        aftersales.decide(session, principal, case_id, body)
    except (AppError, ValidationError) as exc:
        session.rollback()
        message = exc.message("zh") if isinstance(exc, AppError) else "请检查判责内容"
        return redirect(f"/governance/aftersales/{case_id}", message)
    session.commit()
    return redirect("/governance/aftersales", "判责已执行")

"""After placing: the cashier (收银台), 我的订单 and one order's page (cancel, 确认收货)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.orders.schemas import OrderStatus
from laotie.orders.service import fulfilment
from laotie.payments import service as payments
from laotie.payments.service import sandbox_psp as psp
from laotie.settings import get_settings
from laotie.web import forms
from laotie.web.labels import BUYER_ORDER_TABS, ORDER_EVENTS, PAYMENT_FAILURES
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 10
# The sandbox cashier's buttons: the test payment methods a buyer can try in the browser, each
# saying what it simulates.
SANDBOX_METHODS = {"tok_ok": "模拟支付成功", "tok_decline": "模拟余额不足", "tok_timeout": "模拟银行无响应"}
ENDED_UNPAID = {"failed", "expired", "canceled"}


def payment_failure(session: Session, checkout_id: int | None) -> str | None:
    """Why the checkout's latest payment failed (余额不足, 已取消 ...), or None when it did not fail
    (never tried, under way or paid). Read from the payments service: the intent's end state and
    the provider's reason."""
    if checkout_id is None:
        return None
    tried = payments.intents_for(session, "checkout", checkout_id)
    if not tried or tried[-1].status.value not in ENDED_UNPAID:
        return None
    last = tried[-1]
    return PAYMENT_FAILURES.get(last.failure_reason) or PAYMENT_FAILURES.get(last.status.value, "支付未成功")


@router.get("/checkouts/{checkout_id}/cashier", response_class=HTMLResponse)
def cashier(
    request: Request,
    checkout_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    placed = orders.checkout_orders(session, principal, checkout_id)
    unpaid = [o for o in placed if o.status == OrderStatus.PENDING_PAYMENT]
    return render(
        request,
        session,
        principal,
        "cashier.html",
        checkout_id=checkout_id,
        orders=placed,
        unpaid=unpaid,
        amount_fen=sum(o.payable_fen for o in unpaid),
        expires_at=min((o.expires_at for o in unpaid if o.expires_at), default=None),
        methods=SANDBOX_METHODS,
        failure=payment_failure(session, checkout_id) if unpaid else None,
        idempotency_key=secrets.token_urlsafe(18),
    )


@router.post("/checkouts/{checkout_id}/pay", response_model=None)
def pay(
    checkout_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """Start the payment (``orders.service.pay``) and, with the sandbox provider, confirm it at the
    sandbox cashier server-side with the chosen test method; the webhook then marks the orders paid."""
    data = forms.fields(form)
    placed = orders.checkout_orders(session, principal, checkout_id)
    target = f"/orders/{placed[0].id}?paying=1" if len(placed) == 1 else "/orders?status=pending_payment"
    try:
        intent = orders.pay(session, principal, checkout_id, data.get("idempotency_key", ""))
        if get_settings().payment_provider != "sandbox":
            session.commit()
            return RedirectResponse(intent.next_action_url, status_code=303)
        psp.confirm(session, intent.provider_ref or "", intent.client_secret, data.get("method", "tok_ok"))
    except AppError as exc:
        # A second click on the same cashier page finds the payment under way: follow it.
        session.rollback()
        return redirect(target, exc.message("zh"))
    session.commit()
    return redirect(target, "已提交支付，正在等待支付结果…")


@router.get("/orders", response_class=HTMLResponse)
def my_orders(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    status = status if status in dict(BUYER_ORDER_TABS) else ""
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = orders.buyer_orders(session, principal, params, OrderStatus(status) if status else None)
    return render(
        request,
        session,
        principal,
        "orders.html",
        result=result,
        tabs=BUYER_ORDER_TABS,
        status=status,
        base="/orders",
        query={"status": status},
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request,
    order_id: PathId,
    paying: Annotated[int, Query(ge=0, le=1)] = 0,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    order = orders.buyer_order(session, principal, order_id)
    unpaid = order.status == OrderStatus.PENDING_PAYMENT
    failure = payment_failure(session, order.checkout_id) if unpaid else None
    return render(
        request,
        session,
        principal,
        "order.html",
        order=order,
        shipment=logistics.shipment_of_order(session, order.id),
        events=ORDER_EVENTS,
        failure=failure,
        # right after paying: poll until the provider answers, either way
        polling=bool(paying) and unpaid and failure is None,
    )


@router.post("/orders/{order_id}/cancel", response_model=None)
def cancel(
    order_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    reason = forms.fields(form).get("reason", "").strip()[:200]
    orders.cancel_by_buyer(session, principal, order_id, reason)
    session.commit()
    return redirect(f"/orders/{order_id}", "订单已取消")


@router.post("/orders/{order_id}/confirm-receipt", response_model=None)
def confirm_receipt(
    order_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> RedirectResponse:
    fulfilment.confirm_receipt(session, principal, order_id)
    session.commit()
    return redirect(f"/orders/{order_id}", "已确认收货，交易完成")

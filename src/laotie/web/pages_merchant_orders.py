"""Merchant console, orders: the shop's orders by status with masked addresses, the shipping label
(打印面单, the full address, audited on every reveal) and shipping (发货)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.addresses.schemas import AddressSnapshot
from laotie.core import clock
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.orders.schemas import OrderStatus
from laotie.orders.service import fulfilment
from laotie.shops import service as shops
from laotie.web import errors as web_errors
from laotie.web import forms, merchant_figures
from laotie.web.labels import CARRIER_EXAMPLES, CARRIERS, MERCHANT_ORDER_TABS, ORDER_EVENTS
from laotie.web.rendering import CHINA_TZ, PageRoute, redirect, render

router = APIRouter(prefix="/merchant", include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20
_TRACKING = re.compile(r"[A-Za-z0-9-]{4,60}")


@router.get("/orders", response_model=None)
def shop_orders(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    my_shops = [s for s in shops.shops_of(session, principal.user_id) if s.status.value != "applying"]
    current = (
        next((s for s in my_shops if s.id == shop), None) if shop else (my_shops[0] if my_shops else None)
    )
    if current is None:
        return redirect("/merchant")
    tab = next((t for t in MERCHANT_ORDER_TABS if t[0] == status), MERCHANT_ORDER_TABS[0])
    status = tab[0]
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    states = tuple(OrderStatus(s) for s in tab[2])
    result = orders.shop_orders(session, principal, current.id, params, states or None)
    by_status = orders.shop_figures(session, principal, current.id, clock.now(), CHINA_TZ, days=1).by_status
    counts = {key: sum(by_status.get(s, 0) for s in held) for key, _, held in MERCHANT_ORDER_TABS}
    open_cases = merchant_figures.open_case_count(session, principal, current.id)
    return render(
        request,
        session,
        principal,
        "merchant/orders.html",
        shop=current,
        my_shops=my_shops,
        result=result,
        tabs=MERCHANT_ORDER_TABS,
        counts=counts,
        open_cases=open_cases,
        status=status,
        base="/merchant/orders",
        query={"shop": current.id, "status": status},
    )


def _order_page(
    request: Request,
    session: Session,
    principal: Principal,
    shop_id: int,
    order_id: int,
    *,
    label: AddressSnapshot | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    order = orders.shop_order(session, principal, shop_id, order_id)
    return render(
        request,
        session,
        principal,
        "merchant/order.html",
        status_code=status_code,
        shop=shops.get_shop(session, shop_id),
        order=order,
        label=label,
        carriers=CARRIERS,
        carrier_examples=CARRIER_EXAMPLES,
        shipment=logistics.shipment_of_order(session, order.id),
        events=ORDER_EVENTS,
        error=error,
    )


@router.get("/shops/{shop_id}/orders/{order_id}", response_class=HTMLResponse)
def shop_order(
    request: Request,
    shop_id: PathId,
    order_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    return _order_page(request, session, principal, shop_id, order_id)


@router.post("/shops/{shop_id}/orders/{order_id}/label", response_class=HTMLResponse)
def shipping_label(
    request: Request,
    shop_id: PathId,
    order_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    """打印面单: a POST, since every reveal of the full address is written to the audit log."""
    label = fulfilment.shipping_label(session, principal, shop_id, order_id)
    session.commit()
    return _order_page(request, session, principal, shop_id, order_id, label=label)


@router.post("/shops/{shop_id}/orders/{order_id}/ship", response_model=None)
def ship(
    request: Request,
    shop_id: PathId,
    order_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    carrier = data.get("carrier", "").strip()
    tracking_no = data.get("tracking_no", "").strip()
    try:
        if carrier not in CARRIERS:
            raise web_errors.FORM_FIELDS_INVALID(fields="快递公司")
        if not _TRACKING.fullmatch(tracking_no):
            raise web_errors.FORM_FIELDS_INVALID(fields="运单号（4-60位字母、数字或-）")
        carrier, tracking_no = logistics.check_waybill(carrier, tracking_no)
        fulfilment.ship(session, principal, shop_id, order_id, carrier, tracking_no)
    except AppError as exc:
        session.rollback()
        message = exc.message("zh")
        if exc.code == "INVALID_TRACKING_NO" and carrier in CARRIER_EXAMPLES:
            message += f"（{carrier}的运单号形如 {CARRIER_EXAMPLES[carrier]}）"
        return _order_page(
            request, session, principal, shop_id, order_id, error=message, status_code=exc.status
        )
    session.commit()
    shipped = logistics.shipment_of_order(session, order_id)
    return redirect(
        f"/merchant/shops/{shop_id}/orders/{order_id}",
        f"已发货：{shipped.carrier_name if shipped else carrier} {tracking_no}",
    )

"""Checkout in the browser: the lines (立即购买 or the cart), the delivery address, the pay mode, and
placing the order through the placement batcher (``orders.batcher``), the same entry as the API.

The page carries a fresh idempotency key in a hidden field, so a double submit places once; a
PRICE_CHANGED answer shows the page again with the new prices for the buyer to confirm.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate, RegionOut
from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import get_session
from laotie.core.ids import MAX_ID
from laotie.orders import errors as order_errors
from laotie.orders.schemas import (
    MAX_LINES,
    MAX_QUANTITY,
    Attribution,
    Channel,
    CheckoutIn,
    LineIn,
    PayMode,
)
from laotie.orders.service import cart, paylater
from laotie.shops import service as shops
from laotie.web import checkout_promotions, forms, pages_logistics
from laotie.web import errors as web_errors
from laotie.web.rendering import PageRoute, page_url, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

_SCOPED = re.compile(r"coupon_(\d{1,15}|platform)")
_LINE = re.compile(r"(\d{1,15}):(\d{1,3}):(\d{1,12})")
PAY_MODES = {m.value for m in PayMode}
ADDRESS_FIELDS = ("recipient", "phone", "province_code", "city_code", "district_code", "detail")


@dataclass
class Line:
    sku_id: int
    quantity: int
    price_fen: int  # the unit price shown to the buyer, sent back as expected_unit_price_fen

    @property
    def token(self) -> str:
        return f"{self.sku_id}:{self.quantity}:{self.price_fen}"


def _parse_lines(raw: list[str]) -> list[Line]:
    lines = []
    for value in raw[:MAX_LINES]:
        match = _LINE.fullmatch(value.strip())
        if match is None:
            raise web_errors.FORM_FIELDS_INVALID(fields="商品")
        sku_id, quantity, price = (int(g) for g in match.groups())
        if not 1 <= quantity <= MAX_QUANTITY:
            raise order_errors.INVALID_QUANTITY(max=MAX_QUANTITY)
        lines.append(Line(sku_id, quantity, price))
    if not lines:
        raise order_errors.EMPTY_CHECKOUT()
    return lines


def _buy_now_line(sku: str, qty: str, price: str) -> Line:
    if not sku.strip():
        raise web_errors.CHOOSE_SKU()
    return Line(
        forms.parse_int(sku, "规格", 1, 2**53),
        forms.parse_int(qty or "1", "购买数量", 1, MAX_QUANTITY),
        forms.parse_int(price, "价格", 1),
    )


def _cart_lines(session: Session, buyer_id: int, picked: set[int] | None = None) -> list[Line]:
    """The cart's available lines; only the ticked ones (``picked``) when the cart page sent a choice."""
    view = cart.view(session, buyer_id)
    lines = [
        Line(item.sku_id, item.quantity, item.current_price_fen)
        for items in view.shops.values()
        for item in items
        if item.available and item.current_price_fen is not None and (not picked or item.sku_id in picked)
    ]
    if not lines:
        raise order_errors.EMPTY_CHECKOUT()
    return lines[:MAX_LINES]


def _groups(session: Session, lines: list[Line]) -> list[dict[str, Any]]:
    """The lines by shop, with what the buyer needs to recognise each SKU."""
    skus = catalog.skus_for_sale(session, [line.sku_id for line in lines])
    groups: dict[int, dict[str, Any]] = {}
    for line in lines:
        sku = skus.get(line.sku_id)
        if sku is None:
            raise order_errors.SKU_UNAVAILABLE(sku_id=line.sku_id)
        group = groups.setdefault(
            sku.shop_id, {"shop": shops.get_shop(session, sku.shop_id), "lines": [], "total_fen": 0}
        )
        group["lines"].append({"line": line, "sku": sku, "total_fen": line.price_fen * line.quantity})
        group["total_fen"] += line.price_fen * line.quantity
    return list(groups.values())


def _below(level: Callable[[str], list[RegionOut]], code: str) -> list[RegionOut]:
    """The next level's options for the form without JavaScript; none for a code that is not one."""
    try:
        return level(code) if code else []
    except AppError:
        return []


def _picked(raw: list[str]) -> set[int]:
    """The cart lines ticked on the cart page: ``pick=12&pick=13`` or ``pick=12,13``."""
    return {int(v) for value in raw for v in value.split(",") if v.isdigit() and len(v) < 16}


def _back_url(source: str, lines: list[Line], address_id: int | None = None) -> str:
    if source == "cart":
        picks = ",".join(str(line.sku_id) for line in lines)
        return page_url("/checkout", source="cart", pick=picks, address=address_id)
    line = lines[0]
    return page_url("/checkout", sku=line.sku_id, qty=line.quantity, price=line.price_fen, address=address_id)


def _checkout_page(
    request: Request,
    session: Session,
    principal: Principal,
    lines: list[Line],
    source: str,
    *,
    chosen_address: int | None = None,
    pay_mode: str = PayMode.PAY_NOW.value,
    error: str | None = None,
    address_form: dict[str, str] | None = None,
    address_error: str | None = None,
    status_code: int = 200,
    coupon_ids: list[int] | None = None,
    chose_coupons: bool = False,
    sq: str = "",
) -> HTMLResponse:
    book = addresses.list_addresses(session, principal.user_id)
    ids = {a.id for a in book}
    if chosen_address not in ids:
        chosen_address = next((a.id for a in book if a.is_default), book[0].id if book else None)
    form = address_form or {}
    promo = checkout_promotions.for_checkout(
        session,
        principal.user_id,
        [(ln.sku_id, ln.quantity) for ln in lines],
        coupon_ids or [],
        chosen_address,
        chose=chose_coupons,
    )
    groups = _groups(session, lines)
    province = next((a.province_code for a in book if a.id == chosen_address), None)
    shipping_fen = pages_logistics.checkout_shipping(session, groups, province)
    return render(
        request,
        session,
        principal,
        "checkout.html",
        status_code=status_code,
        groups=groups,
        lines=lines,
        total_fen=sum(line.price_fen * line.quantity for line in lines),
        shipping_fen=shipping_fen,
        source=source,
        addresses=book,
        chosen_address=chosen_address,
        pay_mode=pay_mode,
        pay_later_reason=paylater.ineligibility(session, principal.user_id, [line.sku_id for line in lines]),
        idempotency_key=secrets.token_urlsafe(18),
        error=error,
        address_form=form,
        address_error=address_error,
        provinces=addresses.provinces(),
        cities=_below(addresses.cities, form.get("province_code", "")),
        districts=_below(addresses.districts, form.get("city_code", "")),
        promo=promo,
        chose_coupons=chose_coupons,
        best_url=_back_url(source, lines, chosen_address),
        coupon_text=checkout_promotions.coupon_text,
        funder_zh=checkout_promotions.FUNDER_ZH,
        sq=sq,
    )


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(
    request: Request,
    source: Annotated[str, Query(max_length=10)] = "",
    sku: Annotated[str, Query(max_length=20)] = "",
    qty: Annotated[str, Query(max_length=5)] = "1",
    price: Annotated[str, Query(max_length=15)] = "",
    address: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    coupon: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Query(max_length=10)] = None,
    chose: Annotated[str, Query(max_length=1)] = "",
    pick: Annotated[list[Annotated[str, Field(max_length=400)]] | None, Query(max_length=MAX_LINES)] = None,
    sq: Annotated[str, Query(max_length=60)] = "",
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    if source == "cart":
        lines = _cart_lines(session, principal.user_id, _picked(pick or []))
    else:
        source = ""
        lines = [_buy_now_line(sku, qty, price)]
    coupons = [c for c in coupon or [] if 1 <= c <= 2**53] + _scoped_coupons(request)
    return _checkout_page(
        request,
        session,
        principal,
        lines,
        source,
        chosen_address=address,
        coupon_ids=coupons[:10],
        chose_coupons=chose == "1" or bool(coupons),
        sq=_sq(sq, source),
    )


def _scoped_coupons(request: Request) -> list[int]:
    """The coupon radio groups (``coupon_<shop id>``, ``coupon_platform``); an empty value is 不使用."""
    return [
        int(value)
        for name, value in request.query_params.multi_items()
        if _SCOPED.fullmatch(name) and value.isdigit() and len(value) < 16
    ][:10]


def _price_refreshed(session: Session, lines: list[Line]) -> list[Line]:
    skus = catalog.skus_for_sale(session, [line.sku_id for line in lines])
    return [
        Line(
            line.sku_id, line.quantity, skus[line.sku_id].price_fen if line.sku_id in skus else line.price_fen
        )
        for line in lines
    ]


def _sq(raw: str, source: str) -> str:
    """The search behind a buy-now order (``sq``), tidied; a cart checkout carries none."""
    return "" if source == "cart" else " ".join(raw.split())[:60]


def _attribution(sq: str) -> Attribution:
    return Attribution(channel=Channel.SEARCH, query=sq) if sq else Attribution()


@router.post("/checkout", response_model=None)
def place(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    lines = _parse_lines([v for v in form.getlist("line") if isinstance(v, str)])
    source = "cart" if data.get("source") == "cart" else ""
    sq = _sq(data.get("sq", ""), source)
    pay_mode = data.get("pay_mode", PayMode.PAY_NOW.value)
    address_id = int(data["address_id"]) if data.get("address_id", "").isdigit() else None
    coupon_ids = [
        int(v) for v in form.getlist("coupon") if isinstance(v, str) and v.isdigit() and len(v) < 16
    ][:10]
    try:
        if address_id is None:
            raise order_errors.ADDRESS_REQUIRED()
        body = CheckoutIn(
            lines=[
                LineIn(sku_id=line.sku_id, quantity=line.quantity, expected_unit_price_fen=line.price_fen)
                for line in lines
            ],
            address_id=address_id,
            pay_mode=PayMode(pay_mode) if pay_mode in PAY_MODES else PayMode.PAY_NOW,
            coupon_ids=coupon_ids,
            attribution=_attribution(sq),
        )
        # The same placement as the API's (the batcher); this request's transaction ends first, since
        # on SQLite it holds the write lock the batch needs.
        session.rollback()
        batcher = request.app.state.placement_batcher
        placed = batcher.place_from_thread(principal.user_id, body, data.get("idempotency_key", "")).result()
    except ValidationError as exc:
        session.rollback()
        error = forms.validation_message(exc)
        return _checkout_page(
            request, session, principal, lines, source, error=error.message("zh"), status_code=422, sq=sq
        )
    except AppError as exc:
        session.rollback()
        if exc.kind is order_errors.PRICE_CHANGED:
            lines = _price_refreshed(session, lines)
        return _checkout_page(
            request,
            session,
            principal,
            lines,
            source,
            chosen_address=address_id,
            pay_mode=pay_mode,
            error=exc.message("zh"),
            status_code=exc.status,
            coupon_ids=coupon_ids,
            chose_coupons=True,
            sq=sq,
        )
    if source == "cart":
        cart.clear_bought(session, principal.user_id, [line.sku_id for line in lines])
    session.commit()
    if placed.pay_mode == PayMode.PAY_LATER:
        return redirect(f"/orders/{placed.orders[0].id}", "下单成功：先用后付，确认收货后再付款")
    return redirect(f"/checkouts/{placed.checkout_id}/cashier")


def _address_body(data: dict[str, str]) -> AddressCreate:
    try:
        return AddressCreate(
            recipient=data.get("recipient", ""),
            phone=data.get("phone", ""),
            province_code=data.get("province_code", ""),
            city_code=data.get("city_code") or None,
            district_code=data.get("district_code") or None,
            detail=data.get("detail", ""),
            is_default=data.get("is_default") == "1",
        )
    except ValidationError as exc:
        raise forms.validation_message(exc) from None


@router.post("/checkout/address", response_model=None)
def add_address(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    """A new delivery address from the checkout page. Without JavaScript the region lists fill in
    one level per submit: the page comes back with the next level to choose."""
    data = forms.fields(form)
    lines = _parse_lines([v for v in form.getlist("line") if isinstance(v, str)])
    source = "cart" if data.get("source") == "cart" else ""
    kept = {k: data.get(k, "").strip() for k in ADDRESS_FIELDS}
    try:
        created = addresses.create_address(session, principal.user_id, _address_body(data))
    except AppError as exc:
        session.rollback()
        return _checkout_page(
            request,
            session,
            principal,
            lines,
            source,
            address_form=kept,
            address_error=exc.message("zh"),
            status_code=exc.status,
        )
    session.commit()
    return redirect(_back_url(source, lines, created.id), "收货地址已添加")

"""The buyer's cart in the browser: add from the product page, lines by shop with their pictures and
price-change flags, +/− steppers and removal, a tick per line, and on to checkout with the ticked
lines only (``/checkout?source=cart&pick=…``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal
from laotie.core.http import PathId, get_session
from laotie.orders.schemas import MAX_QUANTITY, CartItemIn
from laotie.orders.service import cart
from laotie.shops import service as shops
from laotie.web import errors as web_errors
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(prefix="/cart", include_in_schema=False, route_class=PageRoute)


@router.get("", response_class=HTMLResponse)
def cart_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    view = cart.view(session, principal.user_id)
    groups = [
        {"shop": shops.get_shop(session, shop_id) if shop_id else None, "lines": lines}
        for shop_id, lines in view.shops.items()
    ]
    product_ids = sorted(
        {line.product_id for lines in view.shops.values() for line in lines if line.product_id}
    )
    covers = {card.id: card.cover_url for card in catalog.listed_cards(session, product_ids)}
    return render(
        request,
        session,
        principal,
        "cart.html",
        groups=groups,
        covers=covers,
        total_fen=view.total_fen,
        can_checkout=any(line.available for lines in view.shops.values() for line in lines),
    )


@router.post("/items", response_model=None)
def add(
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    if not data.get("sku", "").strip():
        raise web_errors.CHOOSE_SKU()
    sku_id = forms.parse_int(data["sku"], "规格", 1, 2**53)
    quantity = forms.parse_int(data.get("qty") or "1", "购买数量", 1, MAX_QUANTITY)
    cart.add(session, principal.user_id, CartItemIn(sku_id=sku_id, quantity=quantity))
    session.commit()
    return redirect("/cart", "已加入购物车")


@router.post("/items/{sku_id}", response_model=None)
def set_quantity(
    sku_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    quantity = forms.parse_int(data.get("qty", ""), "购买数量", 1, MAX_QUANTITY)
    step = data.get("step", "")
    if step in ("-1", "1"):  # the stepper's − / + buttons; never below one (删除 removes)
        quantity = min(max(quantity + int(step), 1), MAX_QUANTITY)
    cart.set_quantity(session, principal.user_id, sku_id, quantity)
    session.commit()
    return redirect("/cart")


@router.post("/items/{sku_id}/remove", response_model=None)
def remove(
    sku_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> RedirectResponse:
    cart.remove(session, principal.user_id, [sku_id])
    session.commit()
    return redirect("/cart", "已从购物车移除")

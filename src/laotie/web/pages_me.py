"""我的: the phone's fifth tab. The buyer's order shortcuts with their counts (待付款 待发货 待收货
待评价), and the ways into coupons, messages, the cart and, for those who have them, the merchant,
creator and governance consoles."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.core.auth import AnyUser, Principal, Role
from laotie.core.http import get_session
from laotie.core.pagination import PageParams
from laotie.orders import service as orders
from laotie.orders.schemas import OrderStatus
from laotie.shops import service as shops
from laotie.web.labels import BUYER_ORDER_TABS
from laotie.web.rendering import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
# The shortcuts under 我的订单: the first tabs of 我的订单 that a buyer acts on.
SHORTCUTS = ("pending_payment", "paid", "shipped", "completed")


@router.get("/me", response_class=HTMLResponse)
def me_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    one = PageParams(limit=1)
    counts = {s: orders.buyer_orders(session, principal, one, OrderStatus(s)).total for s in SHORTCUTS}
    names = dict(BUYER_ORDER_TABS)
    return render(
        request,
        session,
        principal,
        "me.html",
        shortcuts=[(s, names[s], counts[s]) for s in SHORTCUTS],
        has_shop=bool(shops.shops_of(session, principal.user_id)),
        is_creator=principal.has(Role.CREATOR),
    )

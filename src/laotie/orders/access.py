"""Loading an order for whoever asks: its buyer, or a member of its shop. The one place that says no.

Another buyer's order, and another shop's order under ``/shops/{shop_id}/...``, is ORDER_NOT_FOUND
(404), never 403: nobody learns that an order they may not see exists. The shop's own checks come
first (SHOP_NOT_FOUND, NOT_SHOP_MEMBER), as for every route under a shop.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.orders import errors
from laotie.orders.models import Order
from laotie.shops import service as shops


def own_order(session: Session, buyer: Principal, order_id: int) -> Order:
    """The caller's own order."""
    order = session.get(Order, order_id)
    if order is None or order.buyer_id != buyer.user_id:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    return order


def shop_order(session: Session, principal: Principal, shop_id: int, order_id: int) -> Order:
    """An order of a shop the caller is a member of."""
    shops.require_shop_member(session, shop_id, principal)
    order = session.get(Order, order_id)
    if order is None or order.shop_id != shop_id:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    return order

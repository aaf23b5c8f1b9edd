"""Read-only figures: orders attributed to a live session (its report), and what each product sold
(search and feed rank by it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from laotie.orders.models import Order, OrderLine, OrderStatus
from laotie.orders.schemas import AttributedLine, AttributedOrder


def live_session_orders(session: Session, live_session_id: int) -> list[AttributedOrder]:
    orders = session.execute(
        select(Order.id, Order.buyer_id, Order.status, Order.payable_fen, Order.paid_at, Order.created_at)
        .where(Order.live_session_id == live_session_id)
        .order_by(Order.id)
    ).all()
    lines: dict[int, list[AttributedLine]] = {}
    ids = [o.id for o in orders]
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(
            select(
                OrderLine.order_id,
                OrderLine.product_id,
                OrderLine.title,
                OrderLine.quantity,
                OrderLine.line_total_fen,
                OrderLine.discount_fen,
            ).where(OrderLine.order_id.in_(chunk))
        )
        for r in rows:
            lines.setdefault(r.order_id, []).append(
                AttributedLine(
                    product_id=r.product_id,
                    title=r.title,
                    quantity=r.quantity,
                    paid_fen=r.line_total_fen - r.discount_fen,
                )
            )
    return [
        AttributedOrder(
            id=o.id,
            buyer_id=o.buyer_id,
            status=o.status,
            payable_fen=o.payable_fen,
            paid=o.paid_at is not None,
            created_at=o.created_at,
            lines=lines.get(o.id, []),
        )
        for o in orders
    ]


# Orders that were paid for (or confirmed, paying after use) and not cancelled: 已售.
SOLD = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def product_sales(session: Session, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """product id -> (units sold, orders that bought it); products with no sale are absent."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity), func.count(func.distinct(Order.id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id.in_(product_ids), Order.status.in_(SOLD))
        .group_by(OrderLine.product_id)
    ).all()
    return {pid: (int(units or 0), int(orders or 0)) for pid, units, orders in rows}


def order_products(session: Session, order_id: int) -> list[int]:
    """The products an order bought (search refreshes their sales and stock when it is paid or cancelled)."""
    return sorted(set(session.scalars(select(OrderLine.product_id).where(OrderLine.order_id == order_id))))


def products_of_orders(session: Session, order_ids: list[int]) -> list[int]:
    """The products any of these orders bought, each once (``order_products`` for a batch)."""
    if not order_ids:
        return []
    query = select(OrderLine.product_id).where(OrderLine.order_id.in_(order_ids)).distinct()
    return sorted(session.scalars(query))


def buyer_purchases(session: Session, buyer_id: int, limit: int = 50) -> list[tuple[int, int]]:
    """(shop id, product id) of what the buyer bought lately, newest first (the feed's history)."""
    rows = session.execute(
        select(Order.shop_id, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.buyer_id == buyer_id, Order.status.in_(SOLD))
        .order_by(Order.id.desc())
        .limit(limit)
    ).all()
    return [(int(s), int(p)) for s, p in rows]


def orders_with_products(
    session: Session,
    shop_id: int,
    product_ids: list[int],
    *,
    completed_since: datetime,
    after_order_id: int = 0,
    limit: int = 1000,
) -> list[tuple[int, int]]:
    """(order id, buyer id) of the shop's orders that bought any of ``product_ids`` and are still
    open (paid, shipped, delivered) or were completed since ``completed_since``, by order id after
    ``after_order_id`` (keyset pages: the governance counterfeit refund collects them in pages)."""
    if not product_ids:
        return []
    open_states = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    bought = select(OrderLine.order_id).where(OrderLine.product_id.in_(product_ids))
    rows = session.execute(
        select(Order.id, Order.buyer_id)
        .where(
            Order.shop_id == shop_id,
            Order.id > after_order_id,
            Order.id.in_(bought),
            or_(
                Order.status.in_(open_states),
                and_(Order.status == OrderStatus.COMPLETED, Order.completed_at >= completed_since),
            ),
        )
        .order_by(Order.id)
        .limit(limit)
    ).all()
    return [(int(o), int(b)) for o, b in rows]


def placed_at(session: Session, order_ids: list[int]) -> dict[int, datetime]:
    """order id -> when it was placed, for showing order numbers (date + id) where only ids are kept
    (after-sales cases, statements, late-shipment lists). Unknown ids are left out."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Order.id, Order.created_at).where(Order.id.in_(sorted(set(order_ids))))
    ).all()
    return {order_id: at for order_id, at in rows}

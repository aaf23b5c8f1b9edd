"""Orders attributed to a live session, for its report (read-only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.orders.models import Order, OrderLine
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

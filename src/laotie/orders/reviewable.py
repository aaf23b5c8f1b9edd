"""What reviews need of an order line: who bought it, in which order and shop, whether it has reached
the buyer, and a row lock so that two reviews of one line never race (PostgreSQL ``FOR UPDATE``;
SQLite writers are serialised already)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.orders.models import Order, OrderLine, OrderStatus

# An order whose goods reached the buyer: delivered, completed, or closed after a refund.
RECEIVED = (OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CLOSED)


@dataclass(frozen=True)
class ReviewableLine:
    line_id: int
    order_id: int
    buyer_id: int
    shop_id: int
    product_id: int
    sku_id: int
    category_id: int
    title: str
    sku_attrs: dict[str, str]
    creator_id: int | None
    status: str
    delivered_at: datetime | None
    completed_at: datetime | None

    @property
    def received(self) -> bool:
        return self.delivered_at is not None and self.status in {s.value for s in RECEIVED}


_COLUMNS = (
    OrderLine.id,
    OrderLine.order_id,
    Order.buyer_id,
    Order.shop_id,
    OrderLine.product_id,
    OrderLine.sku_id,
    OrderLine.category_id,
    OrderLine.title,
    OrderLine.sku_attrs,
    Order.creator_id,
    Order.status,
    Order.delivered_at,
    Order.completed_at,
)


def _out(row: Sequence[Any]) -> ReviewableLine:
    values = tuple(row)
    return ReviewableLine(
        line_id=values[0],
        order_id=values[1],
        buyer_id=values[2],
        shop_id=values[3],
        product_id=values[4],
        sku_id=values[5],
        category_id=values[6],
        title=values[7],
        sku_attrs=dict(values[8] or {}),
        creator_id=values[9],
        status=OrderStatus(values[10]).value,
        delivered_at=values[11],
        completed_at=values[12],
    )


def reviewable_line(session: Session, line_id: int, lock: bool = False) -> ReviewableLine | None:
    """The line and its order; with ``lock`` the line's row stays locked until the caller's commit."""
    query = select(*_COLUMNS).join(Order, Order.id == OrderLine.order_id).where(OrderLine.id == line_id)
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(of=OrderLine)
    row = session.execute(query).first()
    return _out(row) if row is not None else None


def received_lines(session: Session, buyer_id: int, limit: int = 200) -> list[ReviewableLine]:
    """The buyer's lines that reached them, newest delivery first (the 待评价 candidates)."""
    rows = session.execute(
        select(*_COLUMNS)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.buyer_id == buyer_id, Order.status.in_(RECEIVED), Order.delivered_at.is_not(None))
        .order_by(Order.delivered_at.desc(), OrderLine.id.desc())
        .limit(limit)
    ).all()
    return [_out(r) for r in rows]


def order_lines(session: Session, order_id: int) -> list[ReviewableLine]:
    """Every line of one order (a completed order's lines are due a default review)."""
    rows = session.execute(
        select(*_COLUMNS)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    ).all()
    return [_out(r) for r in rows]

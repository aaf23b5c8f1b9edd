"""What after-sales needs of an order: what was paid for each line, how much has gone back, and the
only two writes it makes here (count a refund, close a fully refunded order).

``record_refund`` is one conditional UPDATE (``refunded_fen + n <= payable_fen``): two refunds of one
order racing in two processes can never give back more than was paid, on PostgreSQL or SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.orders import errors, lifecycle
from laotie.orders.models import Order, OrderLine, OrderStatus


@dataclass(frozen=True)
class RefundableLine:
    line_id: int
    sku_id: int
    product_id: int
    category_id: int
    title: str
    sku_attrs: dict[str, str]
    unit_price_fen: int
    quantity: int
    line_total_fen: int
    discount_fen: int
    return_exempt: bool

    @property
    def paid_fen(self) -> int:
        """What the buyer actually paid for the line, after every discount."""
        return self.line_total_fen - self.discount_fen


@dataclass(frozen=True)
class RefundableOrder:
    order_id: int
    checkout_id: int
    buyer_id: int
    shop_id: int
    status: str
    pay_mode: str
    payable_fen: int
    refunded_fen: int
    shipping_fen: int
    charge_state: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    settled_at: datetime | None
    lines: tuple[RefundableLine, ...]

    @property
    def refundable_fen(self) -> int:
        return self.payable_fen - self.refunded_fen


def refundable_order(session: Session, order_id: int) -> RefundableOrder:
    order = session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    rows = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    lines = tuple(
        RefundableLine(
            line_id=r.id,
            sku_id=r.sku_id,
            product_id=r.product_id,
            category_id=r.category_id,
            title=r.title,
            sku_attrs=dict(r.sku_attrs),
            unit_price_fen=r.unit_price_fen,
            quantity=r.quantity,
            line_total_fen=r.line_total_fen,
            discount_fen=r.discount_fen,
            return_exempt=bool(r.return_exempt),
        )
        for r in rows
    )
    return RefundableOrder(
        order_id=order.id,
        checkout_id=order.checkout_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        status=order.status.value,
        pay_mode=order.pay_mode.value,
        payable_fen=order.payable_fen,
        refunded_fen=order.refunded_fen,
        shipping_fen=order.shipping_fen,
        charge_state=order.charge_state,
        created_at=order.created_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        completed_at=order.completed_at,
        settled_at=order.settled_at,
        lines=lines,
    )


def record_refund(session: Session, order_id: int, amount_fen: int, actor_id: int | None, note: str) -> int:
    """Count ``amount_fen`` as given back; REFUND_EXCEEDS_PAYABLE (nothing written) if it would take
    the order past what was paid. Returns the order's new refunded total."""
    done = session.execute(
        update(Order)
        .where(
            Order.id == order_id,
            Order.refunded_fen + amount_fen <= Order.payable_fen,
            Order.status.not_in((OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.CLOSED)),
        )
        .values(refunded_fen=Order.refunded_fen + amount_fen)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        current = refundable_order(session, order_id)
        raise errors.REFUND_EXCEEDS_PAYABLE(
            order_id=order_id, amount_fen=amount_fen, refundable_fen=max(current.refundable_fen, 0)
        )
    status = session.scalar(select(Order.status).where(Order.id == order_id))
    lifecycle.record(session, order_id, "aftersales_refund", actor_id, str(status), str(status), note[:500])
    total = session.scalar(select(Order.refunded_fen).where(Order.id == order_id))
    return int(total or 0)


def close_refunded(session: Session, order_id: int, actor_id: int | None, reason: str) -> bool:
    """交易关闭 once everything paid has gone back. An order that had not shipped gives its stock and
    purchase quota back. False when it was not fully refunded or is already closed."""
    order = session.get(Order, order_id, populate_existing=True)
    if order is None or order.refunded_fen < order.payable_fen:
        return False
    was_unshipped = order.status == OrderStatus.PAID
    if not lifecycle.move(
        session, order_id, OrderStatus.CLOSED, actor_id, "closed_refunded", reason, strict=False
    ):
        return False
    if was_unshipped:
        lifecycle.release_reservation(session, order_id)
    return True


def delivered_order_ids(session: Session, buyer_id: int, limit: int) -> list[int]:
    """The buyer's last ``limit`` orders that reached them (for the refund-only abuse rate)."""
    return list(
        session.scalars(
            select(Order.id)
            .where(Order.buyer_id == buyer_id, Order.delivered_at.is_not(None))
            .order_by(Order.delivered_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def note(session: Session, order_id: int, kind: str, actor_id: int | None, text: str) -> None:
    """Add an after-sales step to the order's own trail (the status does not change)."""
    status = session.scalar(select(Order.status).where(Order.id == order_id))
    if status is None:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    lifecycle.record(session, order_id, kind, actor_id, status.value, status.value, text[:500])

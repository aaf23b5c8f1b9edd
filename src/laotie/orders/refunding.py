"""What after-sales needs of an order: what was paid for each line, how much has gone back, and the
only two writes it makes here (count a refund, close a fully refunded order).

``record_refund`` is one conditional UPDATE (``refunded_fen + n <= payable_fen``): two refunds of one
order racing in two processes can never give back more than was paid, on PostgreSQL or SQLite.
``record_line_refunds`` guards each line the same way (money and units), and a 七天保价 payment is a
compare-and-set on what it was priced from (the line's refunded total and the lowest price already
compensated), so two claims priced from the same state cannot both pay. ``refundable_order(...,
lock=True)`` takes the order row FOR UPDATE: after-sales holds it while it prices a case, so
everything it computes from stays as read until it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from laotie.orders import errors, lifecycle
from laotie.orders.models import Order, OrderEventKind, OrderLine, OrderStatus


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
    refunded_fen: int = 0
    returned_units: int = 0
    protected_price_fen: int | None = None

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


@dataclass(frozen=True)
class LineRefund:
    """What one refund takes off one line. For 七天保价 also what it was priced from."""

    line_id: int
    amount_fen: int
    units: int
    protected_price_fen: int | None = None  # the new lowest price compensated
    seen_refunded_fen: int | None = None  # the line's refunded_fen the amount was computed from
    seen_protected_price_fen: int | None = None


def refundable_order(session: Session, order_id: int, lock: bool = False) -> RefundableOrder:
    """The order as after-sales prices it. ``lock``: take the order row FOR UPDATE (PostgreSQL; a
    SQLite writer already holds the database) until the transaction ends."""
    query = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    order = session.scalars(query).first()
    if order is None:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    rows = session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
        .execution_options(populate_existing=True)
    )
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
            refunded_fen=r.refunded_fen or 0,
            returned_units=r.returned_units or 0,
            protected_price_fen=r.protected_price_fen,
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
    lifecycle.record(
        session, order_id, OrderEventKind.AFTERSALES_REFUND, actor_id, str(status), str(status), note[:500]
    )
    total = session.scalar(select(Order.refunded_fen).where(Order.id == order_id))
    return int(total or 0)


def record_line_refunds(session: Session, order_id: int, items: list[LineRefund]) -> None:
    """Count each item against its line, in line order: LINE_REFUND_CONFLICT (the caller rolls back)
    when a line would give back more than was paid for it or more units than were bought, or, for
    price protection, when the line moved since the claim was priced."""
    for item in sorted(items, key=lambda x: x.line_id):
        query = update(OrderLine).where(
            OrderLine.id == item.line_id,
            OrderLine.order_id == order_id,
            OrderLine.refunded_fen + item.amount_fen <= OrderLine.line_total_fen - OrderLine.discount_fen,
            OrderLine.returned_units + item.units <= OrderLine.quantity,
        )
        values: dict[str, object] = {
            "refunded_fen": OrderLine.refunded_fen + item.amount_fen,
            "returned_units": OrderLine.returned_units + item.units,
        }
        if item.protected_price_fen is not None:
            seen = item.seen_protected_price_fen
            query = query.where(
                OrderLine.refunded_fen == (item.seen_refunded_fen or 0),
                OrderLine.protected_price_fen.is_(None)
                if seen is None
                else OrderLine.protected_price_fen == seen,
                or_(
                    OrderLine.protected_price_fen.is_(None),
                    OrderLine.protected_price_fen > item.protected_price_fen,
                ),
            )
            values["protected_price_fen"] = item.protected_price_fen
        done = session.execute(query.values(**values))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.LINE_REFUND_CONFLICT(line_id=item.line_id)


def close_refunded(session: Session, order_id: int, actor_id: int | None, reason: str) -> bool:
    """交易关闭 once everything paid has gone back. An order that had not shipped gives its stock and
    purchase quota back. False when it was not fully refunded or is already closed."""
    order = session.get(Order, order_id, populate_existing=True)
    if order is None or order.refunded_fen < order.payable_fen:
        return False
    was_unshipped = order.status == OrderStatus.PAID
    if not lifecycle.move(
        session, order_id, OrderStatus.CLOSED, actor_id, OrderEventKind.CLOSED_REFUNDED, reason, strict=False
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


def note(session: Session, order_id: int, kind: OrderEventKind, actor_id: int | None, text: str) -> None:
    """Add an after-sales step to the order's own trail (the status does not change)."""
    status = session.scalar(select(Order.status).where(Order.id == order_id))
    if status is None:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    lifecycle.record(session, order_id, kind, actor_id, status.value, status.value, text[:500])

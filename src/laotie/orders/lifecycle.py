"""Order states and the only functions that change them.

Each move is one conditional UPDATE (``... WHERE status IN (states it may leave)``): when two actors
race (the expiry job cancelling while the payment webhook marks paid), exactly one wins and the other
sees that it lost. Every move appends to the order's trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.events import emit, emit_many
from laotie.core.transitions import Transitions, move_where
from laotie.events.orders import (
    OrderCancelled,
    OrderClosed,
    OrderCompleted,
    OrderDelivered,
    OrderMoved,
    OrderPaid,
    OrderShipped,
)
from laotie.orders import errors, overrides
from laotie.orders.models import (
    BuyerQuota,
    Checkout,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
)

S = OrderStatus
TIMEOUT_REASON = "超时未支付，系统自动取消"
# Where each state may go; a move elsewhere is refused with INVALID_ORDER_STATE.
TRANSITIONS: Transitions[OrderStatus] = Transitions(
    {
        S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
        S.PAID: {S.SHIPPED, S.CLOSED},
        S.SHIPPED: {S.DELIVERED, S.COMPLETED, S.CLOSED},
        S.DELIVERED: {S.COMPLETED, S.CLOSED},
        S.COMPLETED: {S.CLOSED},
        S.CANCELLED: set(),
        S.CLOSED: set(),
    }
)
STAMP = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.DELIVERED: "delivered_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
    S.CLOSED: "closed_at",
}
ACTION_ZH = {
    S.PAID: "支付",
    S.SHIPPED: "发货",
    S.DELIVERED: "签收",
    S.COMPLETED: "确认收货",
    S.CANCELLED: "取消",
    S.CLOSED: "关闭",
}
# The event each move announces.
ENTERED_EVENT: dict[OrderStatus, type[OrderMoved]] = {
    S.PAID: OrderPaid,
    S.SHIPPED: OrderShipped,
    S.DELIVERED: OrderDelivered,
    S.COMPLETED: OrderCompleted,
    S.CANCELLED: OrderCancelled,
    S.CLOSED: OrderClosed,
}


def record(
    session: Session,
    order_id: int,
    kind: OrderEventKind,
    actor_id: int | None,
    before: str | None,
    after: str | None,
    reason: str = "",
) -> None:
    session.execute(
        insert(OrderEvent).values(
            order_id=order_id,
            actor_id=actor_id,
            kind=kind,
            from_status=before,
            to_status=after,
            reason=reason,
            at=clock.now(),
        )
    )


def load(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    return order


def move(
    session: Session,
    order_id: int,
    to: OrderStatus,
    actor_id: int | None,
    kind: OrderEventKind,
    reason: str = "",
    extra: dict[str, Any] | None = None,
    strict: bool = True,
) -> bool:
    """Move the order into ``to`` if it is in a state that may; False (or an error when ``strict``)
    when another actor moved it first."""

    def refuse(current: OrderStatus | None, to: OrderStatus) -> Exception:
        status = load(session, order_id).status  # ORDER_NOT_FOUND when there is no such order
        return errors.INVALID_ORDER_STATE(status=status.value, action=ACTION_ZH[to], order_id=order_id)

    def trail(before: OrderStatus, to: OrderStatus) -> None:
        record(session, order_id, kind, actor_id, before.value if before else None, to.value, reason)

    values: dict[str, Any] = {STAMP[to]: clock.now(), **(extra or {})}
    if (
        move_where(
            session,
            Order,
            order_id,
            to,
            TRANSITIONS,
            values=values,
            trail=trail,
            refuse=refuse if strict else None,
        )
        is None
    ):
        return False
    order = load(session, order_id)
    emit(
        session,
        ENTERED_EVENT[to](
            order_id=order.id,
            shop_id=order.shop_id,
            buyer_id=order.buyer_id,
            payable_fen=order.payable_fen,
            pay_mode=order.pay_mode.value,
            channel=order.channel.value,
            live_session_id=order.live_session_id,
            creator_id=order.creator_id,
        ),
    )
    return True


def pay_checkout(session: Session, checkout_id: int, reason: str) -> list[int]:
    """``move`` to paid for every order of a checkout that may enter it, at once (``pay_checkouts``).
    Returns the orders moved."""
    return pay_checkouts(session, {checkout_id: reason})


def pay_checkouts(
    session: Session, reasons: dict[int, str], *, synchronize_session: Literal["auto", False] = "auto"
) -> list[int]:
    """``move`` to paid for every order of these checkouts that may enter it (each checkout's trail
    rows say its ``reasons[checkout_id]``): one conditional UPDATE ... RETURNING, then the trail rows
    and the OrderPaid events in one statement each, however many checkouts (the payment webhooks'
    batch runs this once for all it captures). Only a pending order may become paid, so each trail
    row leaves pending_payment. Returns the orders moved. ``synchronize_session=False`` when the
    caller's session holds none of these orders as ORM objects (the webhook batch's does not)."""
    if not reasons:
        return []
    now = clock.now()
    moved = session.execute(
        update(Order)
        .where(Order.checkout_id.in_(list(reasons)), Order.status.in_(TRANSITIONS.entered_from(S.PAID)))
        .values(status=S.PAID, paid_at=now)
        .returning(
            Order.id,
            Order.checkout_id,
            Order.shop_id,
            Order.buyer_id,
            Order.payable_fen,
            Order.pay_mode,
            Order.channel,
            Order.live_session_id,
            Order.creator_id,
        )
        .execution_options(synchronize_session=synchronize_session)
    ).all()
    if not moved:
        return []
    moved = sorted(moved, key=lambda row: row.id)
    session.execute(
        insert(OrderEvent),
        [
            {
                "order_id": row.id,
                "actor_id": None,
                "kind": OrderEventKind.PAID,
                "from_status": S.PENDING_PAYMENT.value,
                "to_status": S.PAID.value,
                "reason": reasons[row.checkout_id],
                "at": now,
            }
            for row in moved
        ],
    )
    emit_many(
        session,
        [
            OrderPaid(
                order_id=row.id,
                shop_id=row.shop_id,
                buyer_id=row.buyer_id,
                payable_fen=row.payable_fen,
                pay_mode=row.pay_mode.value,
                channel=row.channel.value,
                live_session_id=row.live_session_id,
                creator_id=row.creator_id,
            )
            for row in moved
        ],
    )
    return [row.id for row in moved]


def release_reservation(session: Session, order_id: int) -> None:
    """Give a cancelled order's stock and purchase quota back (called once, by the winning cancel).

    Units a line took from a reservation (a flash sale still running) go back to that reservation,
    the others to the SKU's stock. Reservations first, then SKUs, then quotas: the order placement
    takes its locks in, so a cancel and a purchase never wait on each other in a circle."""
    lines = session.execute(
        select(OrderLine.sku_id, OrderLine.product_id, OrderLine.quantity, OrderLine.discounts)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.sku_id, OrderLine.id)
    ).all()
    buyer_id = session.scalar(select(Order.buyer_id).where(Order.id == order_id))
    assert buyer_id is not None
    to_shelf: dict[int, int] = {}
    for sku_id, _, quantity, line_discounts in lines:
        if not overrides.release(session, line_discounts, buyer_id, quantity):
            to_shelf[sku_id] = to_shelf.get(sku_id, 0) + quantity
    for sku_id, quantity in sorted(to_shelf.items()):
        catalog.return_stock(session, sku_id, quantity)
    for _, product_id, quantity, _ in sorted(lines, key=lambda line: line[1]):
        session.execute(
            update(BuyerQuota)
            .where(BuyerQuota.buyer_id == buyer_id, BuyerQuota.product_id == product_id)
            .values(units=BuyerQuota.units - quantity)
        )


def cancel(session: Session, order_id: int, actor_id: int | None, reason: str, strict: bool = True) -> bool:
    if not move(
        session,
        order_id,
        S.CANCELLED,
        actor_id,
        OrderEventKind.CANCELLED,
        reason,
        {"cancel_reason": reason[:200]},
        strict,
    ):
        return False
    release_reservation(session, order_id)
    return True


def expired_order_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    query = (
        select(Order.id)
        .where(Order.status == S.PENDING_PAYMENT, Order.expires_at <= now)
        .order_by(Order.expires_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def checkouts_of(session: Session, order_ids: list[int]) -> list[int]:
    if not order_ids:
        return []
    return list(session.scalars(select(Order.checkout_id).where(Order.id.in_(order_ids)).distinct()))


def lock_checkouts(session: Session, checkout_ids: list[int]) -> None:
    """Lock checkouts (in id order, as the pay route's batch does) before stopping their payments and
    cancelling their orders. Pay locks the checkout too, so a cancel and a pay of one checkout take
    turns on PostgreSQL: either the pay comes first and the cancel finds its intent and stops it, or
    the cancel comes first and the pay finds the orders cancelled. Without it a pay could open an
    intent between the cancel's look at the provider and its move, left open until it expired.
    (SQLite writers already take turns from BEGIN IMMEDIATE.)"""
    if checkout_ids:
        session.execute(
            select(Checkout.id)
            .where(Checkout.id.in_(sorted(set(checkout_ids))))
            .order_by(Checkout.id)
            .with_for_update()
        ).all()

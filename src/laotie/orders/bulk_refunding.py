"""What a bulk platform refund needs of many orders at once: read them, and count each one as given
back in full and closed, with a handful of statements per batch instead of a dozen per order.

The guard is the one ``record_refund`` and ``close_refunded`` keep, made stricter: each UPDATE moves
an order only from the status it was read in, with nothing refunded before, to exactly what was paid.
If any order moved meanwhile, nothing is applied (ORDERS_CHANGED) and the caller refunds one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.events import emit_many
from laotie.events.orders import OrderClosed
from laotie.orders import errors, overrides
from laotie.orders.models import BuyerQuota, Order, OrderEvent, OrderEventKind, OrderLine, OrderStatus
from laotie.orders.refunding import RefundableLine, RefundableOrder

CHUNK = 500
CLOSABLE = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def refundable_orders(session: Session, order_ids: Sequence[int]) -> dict[int, RefundableOrder]:
    """``refundable_order`` of many orders in two queries; unknown ids are left out."""
    out: dict[int, RefundableOrder] = {}
    for i in range(0, len(order_ids), CHUNK):
        chunk = list(order_ids[i : i + CHUNK])
        lines: dict[int, list[RefundableLine]] = {}
        for r in session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(chunk)).order_by(OrderLine.id)
        ):
            lines.setdefault(r.order_id, []).append(
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
            )
        for o in session.scalars(
            select(Order).where(Order.id.in_(chunk)).execution_options(populate_existing=True)
        ):
            out[o.id] = RefundableOrder(
                order_id=o.id,
                checkout_id=o.checkout_id,
                buyer_id=o.buyer_id,
                shop_id=o.shop_id,
                status=o.status.value,
                pay_mode=o.pay_mode.value,
                payable_fen=o.payable_fen,
                refunded_fen=o.refunded_fen,
                shipping_fen=o.shipping_fen,
                charge_state=o.charge_state,
                created_at=o.created_at,
                paid_at=o.paid_at,
                shipped_at=o.shipped_at,
                delivered_at=o.delivered_at,
                completed_at=o.completed_at,
                settled_at=o.settled_at,
                lines=tuple(lines.get(o.id, [])),
            )
    return out


def refund_in_full_and_close(
    session: Session, orders: Sequence[RefundableOrder], actor_id: int | None, note: str
) -> None:
    """Each order (as read, nothing refunded yet) refunded in full and 交易关闭; unshipped ones give
    their stock and purchase quota back. All or nothing: ORDERS_CHANGED if any moved meanwhile."""
    if not orders:
        return
    if any(o.refunded_fen != 0 or o.status not in {s.value for s in CLOSABLE} for o in orders):
        raise errors.ORDERS_CHANGED()
    now = clock.now()
    table = cast(Table, Order.__table__)
    moved = session.execute(
        update(table)
        .where(
            and_(
                table.c.id == bindparam("oid"),
                table.c.status == bindparam("before"),
                table.c.refunded_fen == 0,
                table.c.payable_fen == bindparam("amount"),
            )
        )
        .values(refunded_fen=bindparam("amount"), status=OrderStatus.CLOSED.value, closed_at=now),
        [{"oid": o.order_id, "before": o.status, "amount": o.payable_fen} for o in orders],
    )
    count = moved.rowcount if session.get_bind().dialect.supports_sane_multi_rowcount else -1  # type: ignore[attr-defined]
    if count == -1:
        ids = [o.order_id for o in orders]
        count = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.id.in_(ids), Order.status == OrderStatus.CLOSED, Order.closed_at == now)
        )
    if count != len(orders):
        raise errors.ORDERS_CHANGED()
    # The per-line guard (``record_line_refunds``): every line given back in full, money and units,
    # from lines nothing had been given back on.
    ids = [o.order_id for o in orders]
    lines = session.execute(
        update(OrderLine)
        .where(OrderLine.order_id.in_(ids), OrderLine.refunded_fen == 0, OrderLine.returned_units == 0)
        .values(
            refunded_fen=OrderLine.line_total_fen - OrderLine.discount_fen, returned_units=OrderLine.quantity
        )
    )
    if lines.rowcount != sum(len(o.lines) for o in orders):  # type: ignore[attr-defined]
        raise errors.ORDERS_CHANGED()
    session.execute(
        insert(OrderEvent),
        [
            row
            for o in orders
            for row in (
                {
                    "order_id": o.order_id,
                    "actor_id": actor_id,
                    "kind": OrderEventKind.AFTERSALES_REFUND,
                    "from_status": o.status,
                    "to_status": o.status,
                    "reason": f"{note}：退款{o.payable_fen}分"[:500],
                    "at": now,
                },
                {
                    "order_id": o.order_id,
                    "actor_id": actor_id,
                    "kind": OrderEventKind.CLOSED_REFUNDED,
                    "from_status": o.status,
                    "to_status": OrderStatus.CLOSED.value,
                    "reason": f"{note}，全额退款，交易关闭"[:500],
                    "at": now,
                },
            )
        ],
    )
    _release_unshipped(session, [o for o in orders if o.status == OrderStatus.PAID.value])
    details = {
        r.id: r
        for r in session.execute(
            select(Order.id, Order.channel, Order.live_session_id, Order.creator_id).where(
                Order.id.in_([o.order_id for o in orders])
            )
        )
    }
    emit_many(
        session,
        [
            OrderClosed(
                order_id=o.order_id,
                shop_id=o.shop_id,
                buyer_id=o.buyer_id,
                payable_fen=o.payable_fen,
                pay_mode=o.pay_mode,
                channel=details[o.order_id].channel.value,
                live_session_id=details[o.order_id].live_session_id,
                creator_id=details[o.order_id].creator_id,
            )
            for o in orders
        ],
    )
    session.flush()


def _release_unshipped(session: Session, orders: Sequence[RefundableOrder]) -> None:
    """``lifecycle.release_reservation`` for many orders: stock summed per SKU, in SKU order."""
    if not orders:
        return
    discounts: dict[int, list[dict[str, Any]]] = dict(
        session.execute(
            select(OrderLine.id, OrderLine.discounts).where(
                OrderLine.order_id.in_([o.order_id for o in orders])
            )
        ).all()
    )
    to_shelf: dict[int, int] = {}
    quotas: dict[tuple[int, int], int] = {}
    for o in orders:
        for line in o.lines:
            if not overrides.release(session, discounts.get(line.line_id) or [], o.buyer_id, line.quantity):
                to_shelf[line.sku_id] = to_shelf.get(line.sku_id, 0) + line.quantity
            key = (o.buyer_id, line.product_id)
            quotas[key] = quotas.get(key, 0) + line.quantity
    for sku_id, quantity in sorted(to_shelf.items()):
        catalog.return_stock(session, sku_id, quantity)
    quota = cast(Table, BuyerQuota.__table__)
    session.execute(
        update(quota)
        .where(and_(quota.c.buyer_id == bindparam("b"), quota.c.product_id == bindparam("p")))
        .values(units=quota.c.units - bindparam("n")),
        [
            {"b": b, "p": p, "n": n}
            for (b, p), n in sorted(quotas.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
    )

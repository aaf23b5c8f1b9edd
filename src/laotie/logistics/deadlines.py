"""Ship-by deadlines (发货时效): a paid order must ship within ``settings.ship_within_hours``, or
the hours its shop promised (``ShopShippingPolicy``, 24 h to 15 days).

The deadline opens when the order is paid (or confirmed for pay-after-use); the job records every
order past its deadline and not shipped as a late shipment, updating the hours late until it ships;
an order shipped late keeps its final figure. Governance reads ``late_shipments``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.logistics.models import LateShipment, ShipDeadline, Shipment, ShopShippingPolicy
from laotie.logistics.schemas import LateShipmentOut, ShippingPolicyIn, ShippingPolicyOut
from laotie.settings import get_settings
from laotie.shops import service as shops


def ship_within_hours(session: Session, shop_id: int) -> int:
    policy = session.get(ShopShippingPolicy, shop_id)
    return policy.ship_within_hours if policy else get_settings().ship_within_hours


def get_policy(session: Session, principal: Principal, shop_id: int) -> ShippingPolicyOut:
    shops.require_shop_member(session, shop_id, principal)
    policy = session.get(ShopShippingPolicy, shop_id)
    return ShippingPolicyOut(
        shop_id=shop_id,
        ship_within_hours=policy.ship_within_hours if policy else get_settings().ship_within_hours,
        platform_default=policy is None,
    )


def set_policy(
    session: Session, principal: Principal, shop_id: int, body: ShippingPolicyIn
) -> ShippingPolicyOut:
    """The shop's ship-by promise, for orders paid from now on (open deadlines keep theirs)."""
    shops.require_shop_member(session, shop_id, principal)
    policy = session.get(ShopShippingPolicy, shop_id)
    if policy is None:
        policy = ShopShippingPolicy(shop_id=shop_id)
        session.add(policy)
    policy.ship_within_hours = body.ship_within_hours
    policy.updated_at = clock.now()
    session.flush()
    return ShippingPolicyOut(
        shop_id=shop_id, ship_within_hours=body.ship_within_hours, platform_default=False
    )


def hours_late(due_at: datetime, at: datetime) -> int:
    """Whole hours past the deadline, a started hour counting as one (0 when on time)."""
    late = (at - due_at).total_seconds()
    return 0 if late <= 0 else int(-(-late // 3600))


def open_deadline(session: Session, order_id: int, shop_id: int, paid_at: datetime) -> bool:
    """Start the clock for a paid order (idempotent: a redelivered event changes nothing)."""
    if session.get(ShipDeadline, order_id) is not None:
        return False
    shipped_at = session.scalar(select(Shipment.shipped_at).where(Shipment.order_id == order_id))
    due = paid_at + timedelta(hours=ship_within_hours(session, shop_id))
    row = ShipDeadline(order_id=order_id, shop_id=shop_id, paid_at=paid_at, due_at=due, shipped_at=shipped_at)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    if shipped_at is not None and shipped_at > due:
        _record(session, row, shipped_at, shipped_at)
    return True


def open_deadlines(session: Session, paid: list[tuple[int, int, datetime]]) -> None:
    """``open_deadline`` for many orders (order id, shop id, paid at) with a few statements, not a
    few per order: the outbox hands a flash sale's paid orders over by the run. The first entry of
    an order counts, as it would one at a time; an order that already has its deadline keeps it."""
    first: dict[int, tuple[int, datetime]] = {}
    for order_id, shop_id, paid_at in paid:
        first.setdefault(order_id, (shop_id, paid_at))
    if not first:
        return
    ids = sorted(first)
    # Shipped before its payment event came (rare): it may be late already; the one-order path records it.
    shipped = set(
        session.scalars(
            select(Shipment.order_id).where(Shipment.order_id.in_(ids), Shipment.shipped_at.is_not(None))
        )
    )
    for order_id in sorted(shipped):
        shop_id, paid_at = first.pop(order_id)
        open_deadline(session, order_id, shop_id, paid_at)
    if not first:
        return
    hours = _ship_within_hours_of(session, {shop_id for shop_id, _ in first.values()})
    rows = [
        {
            "order_id": order_id,
            "shop_id": shop_id,
            "paid_at": paid_at,
            "due_at": paid_at + timedelta(hours=hours[shop_id]),
            "shipped_at": None,
        }
        for order_id, (shop_id, paid_at) in sorted(first.items())
    ]
    # An order whose deadline is open already (a redelivered event) keeps it: nothing happens.
    session.execute(_insert_deadline(session).on_conflict_do_nothing(index_elements=["order_id"]), rows)


def _ship_within_hours_of(session: Session, shop_ids: set[int]) -> dict[int, int]:
    """``ship_within_hours`` of many shops in one read."""
    default = get_settings().ship_within_hours
    hours = {shop_id: default for shop_id in shop_ids}
    hours.update(
        session.execute(
            select(ShopShippingPolicy.shop_id, ShopShippingPolicy.ship_within_hours).where(
                ShopShippingPolicy.shop_id.in_(sorted(shop_ids))
            )
        ).all()
    )
    return hours


def _insert_deadline(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(ShipDeadline.__table__)  # type: ignore[arg-type]


def close_deadline(session: Session, order_id: int) -> bool:
    """An order that will not ship (cancelled or refunded before shipping) stops its clock; a late
    record already written stays: the shop was late by then."""
    deadline = session.get(ShipDeadline, order_id)
    if deadline is None or deadline.shipped_at is not None:
        return False
    session.delete(deadline)
    session.flush()
    return True


def _record(session: Session, deadline: ShipDeadline, at: datetime, shipped_at: datetime | None) -> None:
    now = clock.now()
    late = session.scalar(select(LateShipment).where(LateShipment.order_id == deadline.order_id))
    if late is None:
        session.add(
            LateShipment(
                order_id=deadline.order_id,
                shop_id=deadline.shop_id,
                paid_at=deadline.paid_at,
                due_at=deadline.due_at,
                shipped_at=shipped_at,
                hours_late=hours_late(deadline.due_at, at),
                recorded_at=now,
                updated_at=now,
            )
        )
    elif late.shipped_at is None:
        late.shipped_at = shipped_at
        late.hours_late = hours_late(deadline.due_at, at)
        late.updated_at = now
    session.flush()


def mark_shipped(session: Session, order_id: int, shipped_at: datetime) -> None:
    deadline = session.get(ShipDeadline, order_id)
    if deadline is None or deadline.shipped_at is not None:
        return  # the deadline opens when the payment event arrives; it looks at the shipment then
    deadline.shipped_at = shipped_at
    if shipped_at > deadline.due_at:
        _record(session, deadline, shipped_at, shipped_at)


def record_late(session: Session, limit: int = 1000) -> list[int]:
    """Record (or bring up to date) every order past its ship-by deadline and not shipped."""
    now = clock.now()
    rows = session.scalars(
        select(ShipDeadline)
        .where(ShipDeadline.shipped_at.is_(None), ShipDeadline.due_at < now)
        .order_by(ShipDeadline.due_at)
        .limit(limit)
    ).all()
    for row in rows:
        _record(session, row, now, None)
    return [r.order_id for r in rows]


def _out(row: LateShipment) -> LateShipmentOut:
    return LateShipmentOut(
        order_id=row.order_id,
        shop_id=row.shop_id,
        paid_at=row.paid_at,
        due_at=row.due_at,
        shipped_at=row.shipped_at,
        hours_late=row.hours_late,
        recorded_at=row.recorded_at,
    )


def late_shipments(
    session: Session, shop_id: int | None = None, since: datetime | None = None, limit: int = 500
) -> list[LateShipmentOut]:
    """Late shipments (newest first) for governance: one shop's or all, recorded since ``since``."""
    query = (
        select(LateShipment).order_by(LateShipment.recorded_at.desc(), LateShipment.id.desc()).limit(limit)
    )
    if shop_id is not None:
        query = query.where(LateShipment.shop_id == shop_id)
    if since is not None:
        query = query.where(LateShipment.recorded_at >= since)
    return [_out(r) for r in session.scalars(query)]


def shop_late_shipments(
    session: Session, principal: Principal, shop_id: int, since: datetime | None = None
) -> list[LateShipmentOut]:
    shops.require_shop_member(session, shop_id, principal)
    return late_shipments(session, shop_id, since)

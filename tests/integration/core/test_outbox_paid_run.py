"""A run of OrderPaid events handled set-based (``subscribe_many``) leaves the same rows as the same
events delivered one at a time: two events for one order, and one event whose handler fails (it alone
is retried, later, and then applied)."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import OutboxEvent, emit
from laotie.core.outbox import OutboxWorker
from laotie.core.uow import unit_of_work
from laotie.events.orders import OrderPaid
from laotie.feed import newshops
from laotie.feed.models import NewShop
from laotie.logistics import deadlines
from laotie.logistics.events import on_orders_paid
from laotie.logistics.models import ShipDeadline, ShopShippingPolicy
from laotie.orders import events as order_events
from laotie.orders import lifecycle
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus
from laotie.payments.schemas import IntentOut
from laotie.settings import get_settings
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver

BAD = 3  # the order whose event fails the first time


def _paid(order_id: int, shop_id: int, fen: int) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        shop_id=shop_id,
        buyer_id=1,
        payable_fen=fen,
        pay_mode="pay_now",
        channel="shelf",
        live_session_id=None,
        creator_id=None,
    )


def _emit_scenario(db: Database, base: int) -> list[str]:
    """Shops base+1 (platform ship-by) and base+2 (72 h), both new; orders base+1..base+4, the
    first paid twice. Returns the events' ids in order."""
    a, b = base + 1, base + 2
    with unit_of_work(db) as s:
        newshops.track(s, {a: clock.now(), b: clock.now()})
        s.add(ShopShippingPolicy(shop_id=b, ship_within_hours=72, updated_at=clock.now()))
        ids = [
            emit(s, _paid(base + 1, a, 100)),
            emit(s, _paid(base + 2, a, 200)),
            emit(s, _paid(base + 1, a, 100)),  # the same order again
            emit(s, _paid(base + BAD, b, 300)),
            emit(s, _paid(base + 4, b, 400)),
        ]
        s.commit()
    return ids


def _failing_for(bad_order: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = deadlines.open_deadlines

    def failing(session: Session, paid: list[tuple[int, int, datetime]]) -> None:
        if any(order_id == bad_order for order_id, _, _ in paid):
            raise RuntimeError("the ship-by store is away")
        real(session, paid)

    monkeypatch.setattr(deadlines, "open_deadlines", failing)


def _retry_now(db: Database, event_id: str) -> None:
    with unit_of_work(db) as s:
        s.execute(
            update(OutboxEvent).where(OutboxEvent.event_id == event_id).values(available_at=clock.now())
        )
        s.commit()


def _rows(db: Database, base: int, first_paid_event: str) -> dict[str, object]:
    """What the handlers left, relative to ``base`` (so two scenarios compare)."""
    with unit_of_work(db, read_only=True) as s:
        emitted = {
            r.event_id: r.created_at for r in s.execute(select(OutboxEvent.event_id, OutboxEvent.created_at))
        }
        lines = s.scalars(
            select(ShipDeadline)
            .where(ShipDeadline.order_id.between(base, base + 9))
            .order_by(ShipDeadline.order_id)
        ).all()
        first = next(d for d in lines if d.order_id == base + 1)
        assert first.paid_at == emitted[first_paid_event]  # the first of the order's two events counts
        gmv = s.execute(
            select(NewShop.shop_id, NewShop.early_gmv_fen).where(NewShop.shop_id.between(base, base + 9))
        ).all()
        return {
            "deadlines": [
                (
                    d.order_id - base,
                    d.shop_id - base,
                    (d.due_at - d.paid_at).total_seconds() / 3600,
                    d.shipped_at,
                )
                for d in lines
            ],
            "gmv": sorted((shop_id - base, fen) for shop_id, fen in gmv),
        }


def test_a_run_of_paid_orders_leaves_what_one_at_a_time_leaves(
    app: FastAPI, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker: OutboxWorker = app.state.outbox_worker
    worker.run_until_idle()
    default_hours = float(get_settings().ship_within_hours)

    # Together: one pass; the bad event's run fails, so each is retried alone, and only it fails.
    together = _emit_scenario(db, 1000)
    _failing_for(1000 + BAD, monkeypatch)
    worker.run_once()
    with unit_of_work(db, read_only=True) as s:
        pending = s.scalars(select(OutboxEvent.event_id).where(OutboxEvent.delivered_at.is_(None))).all()
    assert pending == [together[3]]
    monkeypatch.undo()
    worker.run_until_idle()  # not due yet: backing off
    _retry_now(db, together[3])
    worker.run_until_idle()

    # One at a time: the same events, each in a pass of its own.
    alone = _emit_scenario(db, 2000)
    _failing_for(2000 + BAD, monkeypatch)
    for ev in worker.claim():
        worker.deliver(ev)
    monkeypatch.undo()
    _retry_now(db, alone[3])
    worker.run_until_idle()

    expected = {
        "deadlines": [
            (1, 1, default_hours, None),
            (2, 1, default_hours, None),
            (3, 2, 72.0, None),
            (4, 2, 72.0, None),
        ],
        # GMV counts each event, as one at a time did (the outbox delivers each event once).
        "gmv": [(1, 400), (2, 700)],
    }
    assert _rows(db, 1000, together[0]) == expected
    assert _rows(db, 2000, alone[0]) == expected
    with unit_of_work(db, read_only=True) as s:
        assert s.scalars(select(OutboxEvent.event_id).where(OutboxEvent.delivered_at.is_(None))).all() == []


def test_a_redelivered_run_changes_nothing(app: FastAPI, db: Database) -> None:
    """Handlers applied again (a lease that ran out while the run was committing) change no row."""
    worker: OutboxWorker = app.state.outbox_worker
    worker.run_until_idle()
    ids = _emit_scenario(db, 3000)
    worker.run_until_idle()
    before = _rows(db, 3000, ids[0])
    with unit_of_work(db) as s:
        on_orders_paid(s, [_paid(3001, 3001, 100), _paid(3004, 3002, 400)])
        s.commit()
    assert _rows(db, 3000, ids[0]) == before


def test_mark_paid_settles_only_the_checkouts_the_webhook_left(
    app: FastAPI, client: TestClient, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Captured on time, the orders are paid by the webhook: ``orders.mark_paid`` finds that out for
    the whole run at once and settles only the checkout whose order was cancelled meanwhile (its
    money goes back), as it would one at a time."""
    sale = make_on_sale(session, price_fen=990)
    buyers = [make_buyer(session) for _ in range(3)]
    placed = [orders.checkout(session, b.principal, checkout_body(b, (sale, 1)), key()) for b in buyers]
    intents = [
        orders.pay(session, b.principal, p.checkout_id, key()) for b, p in zip(buyers, placed, strict=True)
    ]
    session.commit()
    app.state.outbox_worker.run_until_idle()
    cancelled = session.scalar(select(Order.id).where(Order.checkout_id == placed[0].checkout_id))
    assert cancelled is not None
    lifecycle.cancel(session, cancelled, None, "买家取消")  # the order only: its payment is still open
    session.commit()
    for intent in intents:
        assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    deliver(db, client)
    settled: list[int] = []
    real = order_events._settle_checkout_payment
    monkeypatch.setattr(
        order_events,
        "_settle_checkout_payment",
        lambda s, ev: (settled.append(int(ev.reference_id)), real(s, ev)),
    )

    app.state.outbox_worker.run_until_idle()

    assert settled == [placed[0].checkout_id]
    session.rollback()
    trail = session.execute(select(OrderEvent.order_id, OrderEvent.kind).order_by(OrderEvent.id)).all()
    assert [kind for order_id, kind in trail if order_id == cancelled][
        -1
    ] == OrderEventKind.REFUNDED_LATE_PAYMENT
    statuses = session.scalars(
        select(Order.status).where(Order.checkout_id.in_([p.checkout_id for p in placed])).order_by(Order.id)
    ).all()
    assert statuses == [OrderStatus.CANCELLED, OrderStatus.PAID, OrderStatus.PAID]
    assert sum(1 for _, kind in trail if kind == OrderEventKind.PAID) == 2

"""Paying checkouts at flash-sale rates (issue 15): intents for many checkouts created in one batch,
and the orders marked paid in the webhook's own transaction, exactly once, with the outbox's
``orders.mark_paid`` finding the work done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderEvent
from laotie.payments.schemas import IntentOut
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver, events
from tests.integration.payments.test_batching import together


def _statuses(db: Database, checkout_ids: list[int]) -> list[str]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.scalars(select(Order.status).where(Order.checkout_id.in_(checkout_ids)).order_by(Order.id))
        return [str(r.value) for r in rows]


def _paid_trail(db: Database) -> int:
    with unit_of_work(db, read_only=True) as s:
        return int(
            s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.kind == "paid")) or 0
        )


def test_checkouts_paid_together_and_marked_paid_in_the_webhooks_transaction(
    app: FastAPI, client: TestClient, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=990)
    buyers = [make_buyer(session) for _ in range(4)]
    placed = [orders.checkout(session, b.principal, checkout_body(b, (sale, 1)), key()) for b in buyers]
    session.commit()
    keys = [key() for _ in buyers]

    def paying(i: int, idempotency_key: str) -> Callable[[Session], Any]:
        return lambda s: orders.pay(s, buyers[i].principal, placed[i].checkout_id, idempotency_key)

    works = [paying(i, keys[i]) for i in range(4)]
    works.append(paying(0, keys[0]))  # a retry with the same key, in the same batch: the same intent
    works.append(paying(1, key()))  # another key while the first payment is open: refused alone

    results, batches = together(db, works)

    assert batches == [6]
    *intents, replayed, refused = results
    assert all(isinstance(i, IntentOut) and i.amount_fen == 990 for i in intents)
    assert isinstance(replayed, IntentOut) and replayed.id == intents[0].id
    assert isinstance(refused, AppError) and refused.code == "PAYMENT_IN_PROGRESS"
    assert len({i.id for i in intents}) == 4

    for intent in intents:
        assert confirm(client, intent).status_code == 202
    deliver(db, client)
    checkout_ids = [p.checkout_id for p in placed]
    # Paid by the webhook's own transaction: no outbox pass has run (the embedded worker is off).
    assert _statuses(db, checkout_ids) == ["paid"] * 4
    assert len(events(db, "OrderPaid")) == 4
    app.state.outbox_worker.run_until_idle()
    # The outbox's orders.mark_paid found them paid: one paid move each, announced once.
    assert _statuses(db, checkout_ids) == ["paid"] * 4
    assert _paid_trail(db) == 4
    assert len(events(db, "OrderPaid")) == 4

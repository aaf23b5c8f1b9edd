"""Payments for tests: intents made through the real service, paid at the sandbox's cashier over HTTP,
and the sandbox's webhooks delivered on demand."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.events import OutboxEvent
from laotie.core.uow import unit_of_work
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind
from laotie.payments import service as payments
from laotie.payments.sandbox.delivery import DeliveryReport, deliver_pending
from laotie.payments.schemas import IntentOut
from tests.factories import make_user

_orders = itertools.count(1)


def new_order_ref() -> str:
    return str(next(_orders))


def make_intent(
    session: Session, buyer_id: int | None = None, amount_fen: int = 9900, reference_id: str | None = None
) -> IntentOut:
    """A committed pay-now intent for an order reference (a new buyer when none is given)."""
    if buyer_id is None:
        buyer_id, _ = make_user(session)
    ref = reference_id or new_order_ref()
    intent = payments.create_intent(session, buyer_id, amount_fen, "order", ref, f"pay-order-{ref}")
    session.commit()
    return intent


def confirm(client: TestClient, intent: IntentOut, token: str = "tok_ok") -> Any:
    """The buyer pays at the sandbox cashier."""
    return client.post(
        intent.next_action_url, json={"client_secret": intent.client_secret, "payment_method": token}
    )


def deliver(db: Database, client: TestClient) -> DeliveryReport:
    return deliver_pending(db, client)


def pay(db: Database, client: TestClient, intent: IntentOut, token: str = "tok_ok") -> IntentOut:
    """Confirm and deliver every webhook; returns the intent as the platform now sees it."""
    r = confirm(client, intent, token)
    assert r.status_code == 202, r.text
    deliver(db, client)
    return state(db, intent.id)


def state(db: Database, intent_id: int) -> IntentOut:
    with unit_of_work(db, read_only=True) as s:
        return payments.get_intent(s, intent_id)


def events(db: Database, topic: str) -> list[dict[str, Any]]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)).all()
        return [dict(r.payload) for r in rows]


def balance(db: Database, kind: AccountKind) -> int:
    with unit_of_work(db, read_only=True) as s:
        return ledger.balance(s, kind)


def booked(db: Database, reference_id: str) -> list[ledger.TransactionOut]:
    with unit_of_work(db, read_only=True) as s:
        return ledger.transactions_for(s, "order", reference_id)

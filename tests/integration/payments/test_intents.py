"""Creating and closing intents: idempotent by key, one open payment per reference, never paid twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.payments import service as payments
from laotie.payments.models import PaymentIntent
from laotie.payments.sandbox.models import SandboxCharge
from tests.factories import make_user
from tests.factories.payments import confirm, deliver, events, make_intent, new_order_ref, pay, state


def _count(db: Database, model: type) -> int:
    with unit_of_work(db, read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _code(call: object) -> str:
    assert callable(call)
    with pytest.raises(AppError) as caught:
        call()
    return caught.value.code


def test_same_key_and_body_returns_the_same_intent(db: Database, session: Session) -> None:
    buyer_id, _ = make_user(session)
    first = payments.create_intent(session, buyer_id, 9900, "order", 7, "key-1")
    again = payments.create_intent(session, buyer_id, 9900, "order", "7", "key-1")
    session.commit()
    assert again.id == first.id and again.replayed and not first.replayed
    assert again.provider_ref == first.provider_ref and again.client_secret == first.client_secret
    assert _count(db, PaymentIntent) == 1 and _count(db, SandboxCharge) == 1


def test_same_key_with_another_body_is_refused(db: Database, session: Session) -> None:
    buyer_id, _ = make_user(session)
    payments.create_intent(session, buyer_id, 9900, "order", 7, "key-1")
    session.commit()
    assert _code(lambda: payments.create_intent(session, buyer_id, 9901, "order", 7, "key-1")) == (
        "IDEMPOTENCY_KEY_REUSED"
    )
    assert _code(lambda: payments.create_intent(session, buyer_id, 9900, "order", 8, "key-1")) == (
        "IDEMPOTENCY_KEY_REUSED"
    )
    session.rollback()
    assert _count(db, PaymentIntent) == 1


@pytest.mark.parametrize("amount", [0, -100, 99.5, True, "100"])
def test_amount_must_be_positive_whole_fen(db: Database, session: Session, amount: object) -> None:
    buyer_id, _ = make_user(session)
    assert (
        _code(lambda: payments.create_intent(session, buyer_id, amount, "order", 1, "k")) == "INVALID_AMOUNT"
    )  # type: ignore[arg-type]
    session.rollback()
    assert _count(db, PaymentIntent) == 0


def test_a_paid_reference_cannot_be_paid_again(db: Database, session: Session, client: TestClient) -> None:
    intent = make_intent(session)
    pay(db, client, intent)
    again = lambda: payments.create_intent(  # noqa: E731
        session, intent.buyer_id, intent.amount_fen, "order", intent.reference_id, "another-key"
    )
    assert _code(again) == "ALREADY_PAID"
    session.rollback()
    r = confirm(client, intent)  # and the cashier refuses a second payment of the same intent
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_PAID"
    assert deliver(db, client).attempted == 0


def test_one_open_intent_per_reference_until_it_expires(db: Database, session: Session) -> None:
    intent = make_intent(session)
    other = lambda: payments.create_intent(  # noqa: E731
        session, intent.buyer_id, intent.amount_fen, "order", intent.reference_id, "second-key"
    )
    assert _code(other) == "PAYMENT_IN_PROGRESS"
    session.rollback()
    with clock.travel(timedelta(minutes=16)):
        # The expiry job has not run; the new attempt expires the stale one itself.
        second = other()
        session.commit()
    assert second.id != intent.id and second.status == "requires_confirmation"
    assert state(db, intent.id).status == "expired"
    assert [e["intent_id"] for e in events(db, "PaymentExpired")] == [intent.id]


def test_a_failed_payment_may_be_retried_with_a_new_intent(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    pay(db, client, intent, "tok_decline")
    r = confirm(client, intent)
    assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_FAILED"
    retry = payments.create_intent(
        session, intent.buyer_id, intent.amount_fen, "order", intent.reference_id, "retry"
    )
    session.commit()
    assert pay(db, client, retry).status == "succeeded"


def test_cancel_stops_the_intent_at_the_cashier(db: Database, session: Session, client: TestClient) -> None:
    intent = make_intent(session)
    out = payments.cancel_intent(session, intent.id, "买家取消订单", actor_id=intent.buyer_id)
    session.commit()
    assert out.status == "canceled"
    assert payments.cancel_intent(session, intent.id, "again").status == "canceled"  # idempotent
    session.commit()
    r = confirm(client, intent)
    assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_CANCELED"
    assert [e["reason"] for e in events(db, "PaymentCanceled")] == ["买家取消订单"]


def test_a_paid_intent_cannot_be_cancelled(db: Database, session: Session, client: TestClient) -> None:
    intent = pay(db, client, make_intent(session))
    assert _code(lambda: payments.cancel_intent(session, intent.id, "late")) == "ALREADY_PAID"


def test_concurrent_creates_with_one_key_make_one_intent(db: Database, session: Session) -> None:
    buyer_id, _ = make_user(session)
    ref = new_order_ref()
    results: list[int] = []
    failures: list[BaseException] = []

    def create() -> None:
        try:
            with unit_of_work(db) as s:
                out = payments.create_intent(s, buyer_id, 500, "order", ref, "same-key")
                s.commit()
                results.append(out.id)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(set(results)) == 1 and len(results) == 6
    assert _count(db, PaymentIntent) == 1 and _count(db, SandboxCharge) == 1

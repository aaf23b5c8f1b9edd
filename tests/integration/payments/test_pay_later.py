"""先用后付: the buyer's saved agreement is charged without interaction; the outcome may come at once or
by webhook, and a capture settles the receivable orders booked when the goods went out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.payments import service as payments
from laotie.payments.sandbox import psp
from tests.factories import make_user
from tests.factories.payments import balance, deliver, events, new_order_ref, state


def _buyer_with_agreement(session: Session, outcome: str = "ok") -> int:
    buyer_id, _ = make_user(session)
    payments.sign_agreement(session, buyer_id)
    psp.set_agreement_outcome(session, str(buyer_id), outcome)
    session.commit()
    return buyer_id


def _ship_on_credit(session: Session, ref: str, amount_fen: int) -> None:
    """What orders books when a pay-later order ships: the buyer owes the platform."""
    ledger.post(
        session,
        kind="pay_later_shipped",
        reference_type="order",
        reference_id=ref,
        postings=[Posting(K.PAY_LATER_RECEIVABLE, amount_fen), Posting(K.PLATFORM_CLEARING, -amount_fen)],
        idempotency_key=f"pay-later-{ref}",
    )


def _charge(session: Session, buyer_id: int, amount_fen: int = 6800) -> tuple[str, int]:
    ref = new_order_ref()
    _ship_on_credit(session, ref, amount_fen)
    intent = payments.charge_pay_later(session, buyer_id, amount_fen, "order", ref, f"charge-{ref}")
    session.commit()
    assert intent.kind == "pay_later"
    return ref, intent.id


def test_a_charge_succeeds_by_webhook_and_settles_the_receivable(
    db: Database, session: Session, client: TestClient
) -> None:
    buyer_id = _buyer_with_agreement(session)
    _, intent_id = _charge(session, buyer_id)
    assert state(db, intent_id).status == "processing"
    assert balance(db, K.PAY_LATER_RECEIVABLE) == 6800
    deliver(db, client)
    assert state(db, intent_id).status == "succeeded"
    assert balance(db, K.PAY_LATER_RECEIVABLE) == 0 and balance(db, K.PSP_CASH) == 6800
    assert [(e["intent_id"], e["kind"]) for e in events(db, "PaymentSucceeded")] == [(intent_id, "pay_later")]


def test_a_declined_charge_fails_by_webhook_and_the_debt_stays(
    db: Database, session: Session, client: TestClient
) -> None:
    buyer_id = _buyer_with_agreement(session, "decline")
    ref, intent_id = _charge(session, buyer_id)
    deliver(db, client)
    failed = state(db, intent_id)
    assert failed.status == "failed" and failed.failure_reason == "insufficient_funds"
    assert balance(db, K.PAY_LATER_RECEIVABLE) == 6800 and balance(db, K.PSP_CASH) == 0
    assert [(e["kind"], e["reason"]) for e in events(db, "PaymentFailed")] == [
        ("pay_later", "insufficient_funds")
    ]
    # Orders retries with a new key once the buyer has topped up.
    psp.set_agreement_outcome(session, str(buyer_id), "ok")
    retry = payments.charge_pay_later(session, buyer_id, 6800, "order", ref, f"charge-{ref}-2")
    session.commit()
    deliver(db, client)
    assert state(db, retry.id).status == "succeeded" and balance(db, K.PAY_LATER_RECEIVABLE) == 0


@pytest.mark.parametrize(("outcome", "status"), [("instant_ok", "succeeded"), ("instant_decline", "failed")])
def test_an_immediate_answer_applies_at_once_and_its_webhook_changes_nothing(
    db: Database, session: Session, client: TestClient, outcome: str, status: str
) -> None:
    buyer_id = _buyer_with_agreement(session, outcome)
    _, intent_id = _charge(session, buyer_id)
    assert state(db, intent_id).status == status
    before = balance(db, K.PSP_CASH)
    report = deliver(db, client)
    assert report.acknowledged == 1
    assert state(db, intent_id).status == status and balance(db, K.PSP_CASH) == before
    assert len(events(db, "PaymentSucceeded")) == (1 if status == "succeeded" else 0)


def test_the_same_charge_key_charges_once(db: Database, session: Session, client: TestClient) -> None:
    buyer_id = _buyer_with_agreement(session)
    ref, intent_id = _charge(session, buyer_id)
    again = payments.charge_pay_later(session, buyer_id, 6800, "order", ref, f"charge-{ref}")
    session.commit()
    assert again.id == intent_id and again.replayed
    assert deliver(db, client).acknowledged == 2  # one charge: processing + succeeded
    assert balance(db, K.PSP_CASH) == 6800


def test_no_agreement_no_charge(db: Database, session: Session) -> None:
    buyer_id, _ = make_user(session)
    with pytest.raises(AppError) as caught:
        payments.charge_pay_later(session, buyer_id, 100, "order", "1", "k")
    assert caught.value.code == "NO_PAYMENT_AGREEMENT"
    payments.sign_agreement(session, buyer_id)
    payments.revoke_agreement(session, buyer_id)
    with pytest.raises(AppError):
        payments.charge_pay_later(session, buyer_id, 100, "order", "1", "k")
    again = payments.sign_agreement(session, buyer_id)
    assert again.active and payments.agreement_of(session, buyer_id) == again


def test_a_charge_nobody_answers_expires_for_a_retry(
    db: Database, session: Session, client: TestClient
) -> None:
    buyer_id = _buyer_with_agreement(session, "timeout")
    _, intent_id = _charge(session, buyer_id)
    deliver(db, client)
    with clock.travel(timedelta(minutes=30)):
        assert payments.expire_stale_intents(session) == []  # pay-later charges get a day, not 15 minutes
    with clock.travel(timedelta(hours=25)):
        assert payments.expire_stale_intents(session) == [intent_id]
        session.commit()
    assert [e["kind"] for e in events(db, "PaymentExpired")] == ["pay_later"]
    assert balance(db, K.PAY_LATER_RECEIVABLE) == 6800

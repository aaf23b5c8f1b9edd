"""The sandbox's webhooks reach the platform late, twice, out of order, forged or replayed: each payment
is still applied exactly once and the books follow."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.ledger.schemas import AccountKind as K
from laotie.payments import service as payments
from laotie.payments.models import PaymentWebhookReceipt
from laotie.payments.sandbox import signature
from laotie.payments.sandbox.delivery import WEBHOOK_PATH, encode
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.settings import get_settings
from tests.factories.payments import balance, booked, confirm, deliver, events, make_intent, pay, state


def _receipts(db: Database) -> list[PaymentWebhookReceipt]:
    with unit_of_work(db, read_only=True) as s:
        rows = list(s.scalars(select(PaymentWebhookReceipt).order_by(PaymentWebhookReceipt.id)).all())
        s.expunge_all()  # keep them readable after the read transaction ends
        return rows


def _trail(db: Database, intent_id: int) -> list[tuple[str, str | None]]:
    with unit_of_work(db, read_only=True) as s:
        return [(e.kind, e.to_status) for e in payments.intent_events(s, intent_id)]


def test_success_marks_paid_books_once_and_announces(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session, amount_fen=12900)
    assert intent.status == "requires_confirmation"
    paid = pay(db, client, intent)
    assert paid.status == "succeeded" and paid.captured_fen == 12900 and not paid.late
    assert _trail(db, intent.id) == [
        ("created", "requires_confirmation"),
        ("processing", "processing"),
        ("succeeded", "succeeded"),
    ]
    [tx] = booked(db, intent.reference_id)
    assert {(p.kind, p.amount_fen) for p in tx.postings} == {
        (K.PSP_CASH, 12900),
        (K.PLATFORM_CLEARING, -12900),
    }
    assert balance(db, K.PLATFORM_CLEARING) == 12900
    announced = events(db, "PaymentSucceeded")
    assert announced == [
        {
            "intent_id": intent.id,
            "buyer_id": intent.buyer_id,
            "reference_type": "order",
            "reference_id": intent.reference_id,
            "amount_fen": 12900,
            "kind": "pay_now",
            "provider_ref": intent.provider_ref,
            "succeeded_at": paid.succeeded_at.isoformat() if paid.succeeded_at else None,
            "provider_paid_at": announced[0]["provider_paid_at"],
        }
    ]
    # When the provider took the money, by its clock (the event's time), never after we heard of it.
    assert paid.succeeded_at is not None
    assert datetime.fromisoformat(announced[0]["provider_paid_at"]) <= paid.succeeded_at


def test_decline_fails_the_intent_and_moves_no_money(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    failed = pay(db, client, intent, "tok_decline")
    assert failed.status == "failed" and failed.failure_reason == "card_declined"
    assert booked(db, intent.reference_id) == []
    assert [e["reason"] for e in events(db, "PaymentFailed")] == ["card_declined"]
    assert events(db, "PaymentSucceeded") == []


def test_an_unconfirmed_intent_expires_and_the_cashier_then_refuses_it(
    db: Database, session: Session, client: TestClient
) -> None:
    stuck = make_intent(session)
    untouched = make_intent(session)
    fresh = make_intent(session)
    assert confirm(client, stuck, "tok_timeout").status_code == 202
    deliver(db, client)
    assert state(db, stuck.id).status == "processing"
    with clock.travel(timedelta(minutes=14)):
        assert payments.expire_stale_intents(session) == []
    with clock.travel(timedelta(minutes=16)):
        assert payments.expire_stale_intents(session) == [stuck.id, untouched.id, fresh.id]
        session.commit()
        assert payments.expire_stale_intents(session) == []  # a second run finds nothing
        session.commit()
        r = confirm(client, untouched)
    assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_EXPIRED"
    assert {e["intent_id"] for e in events(db, "PaymentExpired")} == {stuck.id, untouched.id, fresh.id}
    assert state(db, stuck.id).status == "expired"
    assert booked(db, stuck.reference_id) == []


def test_duplicate_webhook_is_acknowledged_and_applied_once(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent, "tok_duplicate").status_code == 202
    report = deliver(db, client)
    assert report.attempted == 3 and report.acknowledged == 3
    assert state(db, intent.id).status == "succeeded"
    assert len(booked(db, intent.reference_id)) == 1
    assert len(events(db, "PaymentSucceeded")) == 1
    receipts = _receipts(db)
    assert [(r.event_type, r.times_received) for r in receipts] == [
        ("payment.processing", 1),
        ("payment.succeeded", 2),
    ]


def test_processing_after_success_is_ignored(db: Database, session: Session, client: TestClient) -> None:
    intent = make_intent(session)
    paid = pay(db, client, intent, "tok_out_of_order")
    assert paid.status == "succeeded"
    assert [r.outcome for r in _receipts(db)] == ["applied", "ignored"]
    assert _trail(db, intent.id)[-2:] == [("succeeded", "succeeded"), ("webhook_ignored", None)]
    assert len(booked(db, intent.reference_id)) == 1


def _queued_body(db: Database) -> bytes:
    with unit_of_work(db, read_only=True) as s:
        row = s.scalars(select(SandboxWebhook).where(SandboxWebhook.type == "payment.succeeded")).one()
        return encode(dict(row.payload))


def test_bad_signature_is_refused_logged_and_moves_nothing(
    db: Database, session: Session, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    body = _queued_body(db)
    forged = signature.sign("not-the-secret", body, clock.now())
    r = client.post(WEBHOOK_PATH, content=body, headers={signature.HEADER: forged})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_SIGNATURE"
    r = client.post(WEBHOOK_PATH, content=body)  # no signature at all
    assert r.status_code == 400
    assert state(db, intent.id).status == "requires_confirmation"
    assert booked(db, intent.reference_id) == [] and events(db, "PaymentSucceeded") == []
    r = client.post(WEBHOOK_PATH, content=b"x" * 70_000, headers={signature.HEADER: forged})
    # Refused once it passes what a real event can be (64 KiB), before any of it is parsed.
    assert r.status_code == 413 and r.json()["error"]["code"] == "WEBHOOK_TOO_LARGE"
    rejected = _receipts(db)
    assert [(r.signature_ok, r.outcome, r.provider_event_id) for r in rejected] == [
        (False, "rejected", None)
    ] * 2
    assert rejected[0].reason == "signature mismatch" and "payment.succeeded" in rejected[0].body
    assert "refused a sandbox webhook" in caplog.text
    # The real event still counts afterwards: a forgery cannot make it look like a duplicate.
    assert deliver(db, client).acknowledged == 2
    assert state(db, intent.id).status == "succeeded"


def test_a_replayed_old_webhook_is_refused(db: Database, session: Session, client: TestClient) -> None:
    intent = make_intent(session)
    paid = pay(db, client, intent)
    body = _queued_body(db)
    captured = signature.sign(get_settings().payment_webhook_secret, body, clock.now())
    assert client.post(WEBHOOK_PATH, content=body, headers={signature.HEADER: captured}).json()[
        "outcome"
    ] == ("duplicate")
    with clock.travel(timedelta(minutes=6)):
        r = client.post(WEBHOOK_PATH, content=body, headers={signature.HEADER: captured})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert "too old" in _receipts(db)[-1].reason
    assert state(db, intent.id) == paid
    assert len(booked(db, intent.reference_id)) == 1


def test_a_crash_before_commit_loses_nothing_and_doubles_nothing(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    crashes = {"left": 1}

    def crash_on_commit(s: Session) -> None:
        # SQLAlchemy calls this for a savepoint's release too: only the real commit crashes.
        if not crashes["left"] or s.in_nested_transaction():
            return
        # The receipt is written with a Core statement: this transaction sees its own insert.
        applying = s.scalar(
            select(PaymentWebhookReceipt.id).where(PaymentWebhookReceipt.event_type == "payment.succeeded")
        )
        if applying is not None:
            crashes["left"] -= 1
            raise RuntimeError("the database went away during commit")

    event.listen(db.sessions, "before_commit", crash_on_commit)
    try:
        first = deliver(db, client)
    finally:
        event.remove(db.sessions, "before_commit", crash_on_commit)
    assert crashes["left"] == 0  # the crash did happen
    assert first.acknowledged == 1 and first.failed == 1  # processing went through, success did not
    assert state(db, intent.id).status == "processing"
    assert booked(db, intent.reference_id) == [] and events(db, "PaymentSucceeded") == []
    with unit_of_work(db, read_only=True) as s:
        row = s.scalars(select(SandboxWebhook).where(SandboxWebhook.type == "payment.succeeded")).one()
        assert row.delivered_at is None and row.attempts == 1  # the PSP will try again
    again = deliver(db, client)
    assert again.acknowledged == 1
    assert state(db, intent.id).status == "succeeded"
    assert len(booked(db, intent.reference_id)) == 1 and len(events(db, "PaymentSucceeded")) == 1
    assert deliver(db, client).attempted == 0  # nothing left to send
    assert balance(db, K.PSP_CASH) == intent.amount_fen


def test_a_crash_inside_the_handler_rolls_everything_back(
    db: Database, session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laotie.payments import webhook_batch, webhooks

    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    # Both ways a delivery is applied: alone (``receive``) and with its batch (``_apply_common``).
    real = {webhooks: webhooks.receive, webhook_batch: webhook_batch._apply_common}
    name = {webhooks: "receive", webhook_batch: "_apply_common"}

    def then_die(module: object) -> object:
        def apply_then_die(*args: object, **kwargs: object) -> object:
            real[module](*args, **kwargs)  # type: ignore[operator]
            raise RuntimeError("killed after applying, before commit")

        return apply_then_die

    for module in real:
        monkeypatch.setattr(module, name[module], then_die(module))
    assert deliver(db, client).acknowledged == 0
    for module, function in real.items():
        monkeypatch.setattr(module, name[module], function)
    assert state(db, intent.id).status == "requires_confirmation"
    assert _receipts(db) == [] and booked(db, intent.reference_id) == []
    assert deliver(db, client).acknowledged == 2
    assert state(db, intent.id).status == "succeeded" and len(booked(db, intent.reference_id)) == 1


def test_money_taken_before_expiry_is_captured_by_the_expiry_job_not_expired(
    db: Database, session: Session, client: TestClient
) -> None:
    """The expiry job asks the provider first (issue 9 item 3): a payment it took while the webhook
    was queued is captured, not expired and refunded; the webhook, when it comes, changes nothing."""
    intent = make_intent(session, amount_fen=5000)
    assert confirm(client, intent).status_code == 202  # paid at the PSP; the webhooks are still queued
    with clock.travel(timedelta(minutes=16)):
        assert payments.expire_stale_intents(session) == []
        session.commit()
        deliver(db, client)
    paid = state(db, intent.id)
    assert paid.status == "succeeded" and not paid.late and paid.captured_fen == 5000
    assert events(db, "PaymentSucceededLate") == [] and events(db, "PaymentExpired") == []
    [announced] = events(db, "PaymentSucceeded")
    assert announced["amount_fen"] == 5000
    assert balance(db, K.PSP_CASH) == 5000
    payments.refund(session, intent.id, 5000, "test-refund", "测试退款")
    session.commit()
    assert balance(db, K.PSP_CASH) == 0 and balance(db, K.PLATFORM_CLEARING) == 0


def test_late_success_after_cancellation(db: Database, session: Session, client: TestClient) -> None:
    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    payments.cancel_intent(session, intent.id, "买家取消订单")
    session.commit()
    deliver(db, client)
    assert state(db, intent.id).late
    assert [e["previous_status"] for e in events(db, "PaymentSucceededLate")] == ["canceled"]
    assert [e["intent_id"] for e in events(db, "PaymentCanceled")] == [intent.id]


def test_a_webhook_for_an_unknown_payment_is_refused_for_a_later_retry(
    db: Database, client: TestClient
) -> None:
    body = encode(
        {
            "id": "evt_x",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {"provider_ref": "pi_nobody", "amount_fen": 100},
        }
    )
    header = signature.sign(get_settings().payment_webhook_secret, body, clock.now())
    r = client.post(WEBHOOK_PATH, content=body, headers={signature.HEADER: header})
    assert r.status_code == 404 and r.json()["error"]["code"] == "PAYMENT_NOT_FOUND"
    assert balance(db, K.PSP_CASH) == 0
    assert _receipts(db) == []  # no receipt: the same event may still be applied when it comes again


def test_a_webhook_with_another_amount_moves_nothing(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session, amount_fen=9900)
    body = encode(
        {
            "id": "evt_wrong_amount",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {"provider_ref": intent.provider_ref, "amount_fen": 1},
        }
    )
    header = signature.sign(get_settings().payment_webhook_secret, body, clock.now())
    r = client.post(WEBHOOK_PATH, content=body, headers={signature.HEADER: header})
    assert r.status_code == 200 and r.json()["outcome"] == "mismatch"
    assert state(db, intent.id).status == "requires_confirmation" and balance(db, K.PSP_CASH) == 0


def test_the_cashier_refuses_an_intent_past_its_deadline(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    with clock.travel(timedelta(minutes=15, seconds=1)):  # the expiry job has not run yet
        r = confirm(client, intent)
    assert r.status_code == 409 and r.json()["error"]["code"] == "INTENT_EXPIRED"
    assert deliver(db, client).attempted == 0

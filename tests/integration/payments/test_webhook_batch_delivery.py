"""The sandbox's webhooks delivered many to a request (``webhooks/sandbox/batch``): one signature for
the body, each event applied once by its id whatever batch it comes in, and an answer per event so
the sender marks exactly those delivered and retries the others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.payments.models import PaymentWebhookReceipt
from laotie.payments.sandbox import notices, sending, signature
from laotie.payments.sandbox.delivery import WEBHOOK_PATH, WebhookDeliverer, deliver_pending, encode
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.payments.sandbox.webhook_doc import BATCH_PATH, MAX_BATCH_BYTES
from laotie.settings import get_settings
from tests.factories.payments import booked, confirm, events, make_intent, state
from tests.integration.payments.test_batching import _queued


class _Counting:
    """A client that counts the requests it posts, and can fail the next ones."""

    def __init__(self, client: TestClient, fail: int = 0) -> None:
        self.client = client
        self.paths: list[str] = []
        self.fail = fail

    def post(self, url: str, *, content: bytes, headers: Any) -> Any:
        self.paths.append(url)
        if self.fail:
            self.fail -= 1
            raise ConnectionResetError("the platform went away")
        return self.client.post(url, content=content, headers=headers)


def _batch(*bodies: bytes) -> bytes:
    return b'{"events":[' + b",".join(bodies) + b"]}"


def _post(client: TestClient, body: bytes, secret: str | None = None) -> Any:
    key = secret or get_settings().payment_webhook_secret
    return client.post(
        BATCH_PATH, content=body, headers={signature.HEADER: signature.sign(key, body, clock.now())}
    )


def _receipts(db: Database) -> list[tuple[str, str, int]]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.scalars(select(PaymentWebhookReceipt).order_by(PaymentWebhookReceipt.id)).all()
        return [(r.event_type, str(r.outcome), r.times_received) for r in rows]


def _outbox(db: Database) -> list[tuple[str, bool, bool, int, int | None]]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.scalars(select(SandboxWebhook).order_by(SandboxWebhook.id)).all()
        return [
            (r.type, r.delivered_at is not None, r.gave_up_at is not None, r.attempts, r.last_status)
            for r in rows
        ]


def _unknown(ref: str) -> bytes:
    return encode(
        {
            "id": f"evt_sbx_{ref}",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {"provider_ref": ref, "amount_fen": 100, "status": "succeeded"},
        }
    )


def test_the_sender_batches_a_payments_events_in_rounds(
    db: Database, session: Session, client: TestClient
) -> None:
    intents = [make_intent(session, amount_fen=1000 + n) for n in range(3)]
    for intent in intents:
        assert confirm(client, intent).status_code == 202
    counting = _Counting(client)
    report = deliver_pending(db, counting)
    # Round one: the three payments' processing; round two: their successes (each after its own).
    assert counting.paths == [BATCH_PATH, BATCH_PATH]
    assert report.attempted == 6 and report.acknowledged == 6 and report.failed == 0
    for intent in intents:
        assert state(db, intent.id).status == "succeeded"
        assert len(booked(db, intent.reference_id)) == 1
    assert len(events(db, "PaymentSucceeded")) == 3
    assert sorted(_receipts(db)) == sorted(
        [("payment.processing", "applied", 1)] * 3 + [("payment.succeeded", "applied", 1)] * 3
    )
    assert all(delivered for _, delivered, *_ in _outbox(db))
    assert deliver_pending(db, counting).attempted == 0


def test_duplicates_in_one_batch_and_across_batches_apply_once(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    processing, succeeded = _queued(db, intent.provider_ref or "")
    r = _post(client, _batch(processing, processing))
    assert r.status_code == 200
    assert [(x["status"], x["outcome"]) for x in r.json()["results"]] == [
        (200, "applied"),
        (200, "duplicate"),
    ]
    r = _post(client, _batch(succeeded, processing, succeeded))
    assert [x["outcome"] for x in r.json()["results"]] == ["applied", "duplicate", "duplicate"]
    assert r.json()["results"][0]["id"].startswith("evt_sbx_")
    # The single endpoint and a later batch find the same receipts.
    sign = signature.sign(get_settings().payment_webhook_secret, succeeded, clock.now())
    assert (
        client.post(WEBHOOK_PATH, content=succeeded, headers={signature.HEADER: sign}).json()["outcome"]
        == "duplicate"
    )
    assert state(db, intent.id).status == "succeeded"
    assert len(booked(db, intent.reference_id)) == 1 and len(events(db, "PaymentSucceeded")) == 1
    assert _receipts(db) == [("payment.processing", "applied", 3), ("payment.succeeded", "applied", 3)]


def test_a_bad_signature_refuses_the_whole_batch_and_the_sender_retries_it(
    db: Database, session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent).status_code == 202
    processing, succeeded = _queued(db, intent.provider_ref or "")
    r = _post(client, _batch(processing, succeeded), secret="not-the-secret")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_SIGNATURE"
    r = client.post(BATCH_PATH, content=_batch(processing))  # no signature at all
    assert r.status_code == 400
    r = _post(client, b'{"events": []}')  # signed, but no batch
    assert r.status_code == 400
    assert _receipts(db) == [("", "rejected", 1)] * 3
    assert state(db, intent.id).status == "requires_confirmation" and events(db, "PaymentSucceeded") == []
    r = client.post(BATCH_PATH, content=b"x" * (MAX_BATCH_BYTES + 1), headers={signature.HEADER: "t=1,v1=0"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "WEBHOOK_TOO_LARGE"
    # The sender with the wrong secret: refused as a whole, each event backs off and is tried again.
    with monkeypatch.context() as m:
        m.setattr(
            sending,
            "signed_headers",
            lambda body: {signature.HEADER: signature.sign("rotated-away", body, clock.now())},
        )
        report = deliver_pending(db, client)
    assert report.acknowledged == 0 and report.failed == 2
    assert [(t, d, g, a, s) for t, d, g, a, s in _outbox(db)] == [
        ("payment.processing", False, False, 1, 400),
        ("payment.succeeded", False, False, 1, None),  # held back behind its payment's first event
    ]
    assert deliver_pending(db, client).acknowledged == 2
    assert state(db, intent.id).status == "succeeded" and len(booked(db, intent.reference_id)) == 1


@pytest.mark.parametrize("path", [BATCH_PATH, WEBHOOK_PATH])
def test_a_forged_body_with_nul_is_refused_and_kept_without_it(
    db: Database, client: TestClient, path: str
) -> None:
    """PostgreSQL text cannot hold NUL: a refused body is kept for investigation with it replaced."""
    r = client.post(
        path, content=b'{"events": [{"id": "\x00"}]}\x00', headers={signature.HEADER: "t=1,v1=00"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_SIGNATURE"
    with unit_of_work(db, read_only=True) as s:
        [body] = s.scalars(select(PaymentWebhookReceipt.body)).all()
    assert "\x00" not in body and "\ufffd" in body


def test_one_bad_event_among_good_ones_neither_loses_nor_blocks_them(
    db: Database, session: Session, client: TestClient
) -> None:
    good = make_intent(session, amount_fen=700)
    assert confirm(client, good).status_code == 202
    processing, _ = _queued(db, good.provider_ref or "")
    unreadable = b'{"id":"evt_sbx_broken","type":"payment.succeeded"}'
    r = _post(client, _batch(processing, _unknown("pi_sbx_not_yet"), unreadable))
    assert r.status_code == 200
    results = r.json()["results"]
    assert [(x["status"], x["outcome"], x["error"]) for x in results] == [
        (200, "applied", None),
        (404, None, "PAYMENT_NOT_FOUND"),
        (400, "rejected", "INVALID_SIGNATURE"),
    ]
    assert [x["id"] for x in results][1:] == ["evt_sbx_pi_sbx_not_yet", ""]
    assert state(db, good.id).status == "processing"
    # Only the applied one and the refused one are kept; the unknown payment may come later.
    assert _receipts(db) == [("payment.processing", "applied", 1), ("", "rejected", 1)]


def test_the_sender_marks_exactly_the_acknowledged_and_retries_the_rest(
    db: Database, session: Session, client: TestClient
) -> None:
    good = make_intent(session, amount_fen=800)
    assert confirm(client, good).status_code == 202
    with unit_of_work(db) as s:
        # A payment this platform does not know (yet): 404 inside the batch, tried again later.
        notices.queue_webhook(
            s,
            "payment.succeeded",
            "pi_sbx_unknown",
            {"provider_ref": "pi_sbx_unknown", "amount_fen": 5, "status": "succeeded"},
        )
        # A notification whose payload is no event: refused inside the batch, given up at once.
        notices.queue_webhook(s, "payment.succeeded", "pi_sbx_broken", {"amount_fen": 5})
        s.commit()
    # First a connection that drops: nothing is known to be applied, so every event is retried.
    counting = _Counting(client, fail=1)
    report = deliver_pending(db, counting)
    assert report.acknowledged == 0 and report.failed == 4
    assert [a for *_, a, _ in _outbox(db)] == [1, 1, 1, 1]
    report = deliver_pending(db, counting)
    assert report.acknowledged == 2 and report.failed == 2
    assert _outbox(db) == [
        ("payment.processing", True, False, 1, 200),  # one failed attempt before
        ("payment.succeeded", True, False, 1, 200),
        ("payment.succeeded", False, False, 2, 404),
        ("payment.succeeded", False, True, 2, 400),
    ]
    assert state(db, good.id).status == "succeeded" and len(booked(db, good.reference_id)) == 1
    report = deliver_pending(db, counting)  # the unknown payment is tried again; the broken one is not
    assert report.attempted == 1 and report.statuses == [404]
    assert state(db, good.id).status == "succeeded" and len(booked(db, good.reference_id)) == 1


def test_one_at_a_time_still_goes_to_the_single_endpoint(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    assert confirm(client, intent, "tok_duplicate").status_code == 202
    counting = _Counting(client)
    report = deliver_pending(db, counting, batch_events=1)
    assert counting.paths == [WEBHOOK_PATH] * 3 and report.acknowledged == 3
    assert state(db, intent.id).status == "succeeded" and len(booked(db, intent.reference_id)) == 1


def test_a_lease_with_nothing_due_does_not_wait_for_the_write_lock(db: Database) -> None:
    """The sender is woken by every commit that queues a notification (each due a delay later): on
    SQLite, finding nothing due is a read, so it never queues behind (or ahead of) the writers."""
    if not db.is_sqlite:
        pytest.skip("the write lock: SQLite (PostgreSQL's lease locks only the rows it takes)")
    deliverer = WebhookDeliverer(db)
    try:
        with unit_of_work(db) as writer:  # another writer holds SQLite's write lock meanwhile
            writer.execute(update(SandboxWebhook).values(attempts=SandboxWebhook.attempts))
            done = ThreadPoolExecutor(1).submit(deliverer.claim)
            assert done.result(timeout=5) == []
            writer.rollback()
    finally:
        deliverer.close()

"""The pay path at flash-sale rates (issue 15): concurrent webhooks and cashier confirmations are
applied in one transaction per batch (``core.batching``), each in its own savepoint. A batch must
change nothing about what one request alone would do: every payment applied once, a duplicate in
the same batch applied once, and a bad request failing alone while its neighbours commit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.batching import GroupCommit
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.payments import webhooks
from laotie.payments.interfaces import InvalidSignature
from laotie.payments.models import PaymentWebhookReceipt, WebhookOutcome
from laotie.payments.sandbox import psp, signature
from laotie.payments.sandbox.delivery import encode
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.payments.schemas import IntentOut
from laotie.settings import get_settings
from tests.factories.payments import booked, confirm, deliver, events, make_intent, state


def together(db: Database, works: list[Callable[[Session], Any]]) -> tuple[list[Any], list[int]]:
    """Run ``works`` as concurrent requests do: queued at once, decided by one batcher. Returns each
    one's result (or the exception it raised) and the sizes of the batches that decided them."""
    batcher = GroupCommit(db, "test")

    async def run_all() -> list[Any]:
        return await asyncio.gather(*(batcher.run(w) for w in works), return_exceptions=True)

    try:
        return asyncio.run(run_all()), batcher.batch_sizes
    finally:
        batcher.close()


def _signed(body: bytes) -> dict[str, str]:
    secret = get_settings().payment_webhook_secret
    return {"Content-Type": "application/json", signature.HEADER: signature.sign(secret, body, clock.now())}


def _queued(db: Database, provider_ref: str) -> list[bytes]:
    """The sandbox's notifications about one payment, in the order it queued them."""
    with unit_of_work(db, read_only=True) as s:
        rows = s.scalars(
            select(SandboxWebhook.payload)
            .where(SandboxWebhook.object_ref == provider_ref)
            .order_by(SandboxWebhook.id)
        ).all()
        return [encode(dict(p)) for p in rows]


def _apply(body: bytes, headers: dict[str, str]) -> Callable[[Session], Any]:
    return lambda session: webhooks.apply_signed(session, "sandbox", body, headers)


def _receipts(db: Database) -> list[tuple[str | None, bool, int, str]]:
    with unit_of_work(db, read_only=True) as s:
        rows = s.execute(
            select(
                PaymentWebhookReceipt.provider_event_id,
                PaymentWebhookReceipt.signature_ok,
                PaymentWebhookReceipt.times_received,
                PaymentWebhookReceipt.outcome,
            ).order_by(PaymentWebhookReceipt.id)
        ).all()
        return [(r[0], r[1], r[2], str(r[3])) for r in rows]


def _confirmed(client: TestClient, intents: list[IntentOut]) -> None:
    for intent in intents:
        assert confirm(client, intent).status_code == 202


def test_many_webhooks_in_one_batch_each_applied_once_a_bad_one_failing_alone(
    db: Database, session: Session, client: TestClient
) -> None:
    intents = [make_intent(session, amount_fen=1000 + i) for i in range(5)]
    session.rollback()  # no open transaction: on SQLite it would hold the write lock
    _confirmed(client, intents)
    works, bodies = [], {}
    for intent in intents:
        processing, succeeded = _queued(db, intent.provider_ref or "")
        bodies[intent.id] = succeeded
        works += [_apply(processing, _signed(processing)), _apply(succeeded, _signed(succeeded))]
    # The first payment's success arrives twice in the same batch (a PSP's retry crossing its ack).
    works.append(_apply(bodies[intents[0].id], _signed(bodies[intents[0].id])))
    unknown = encode(
        {
            "id": "evt_sbx_unknown",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {"provider_ref": "pi_sbx_nosuchpayment", "amount_fen": 500, "status": "succeeded"},
        }
    )
    works.append(_apply(unknown, _signed(unknown)))
    forged = bodies[intents[1].id]
    works.append(_apply(forged, {signature.HEADER: "t=1,v1=00"}))

    results, batches = together(db, works)

    assert batches == [len(works)]
    *applied, duplicate, not_found, refused = results
    assert applied == [WebhookOutcome.APPLIED] * 10
    assert duplicate == WebhookOutcome.DUPLICATE
    assert isinstance(not_found, AppError) and not_found.code == "PAYMENT_NOT_FOUND"
    assert isinstance(refused, InvalidSignature)
    for intent in intents:
        paid = state(db, intent.id)
        assert paid.status == "succeeded" and paid.captured_fen == intent.amount_fen
        assert len(booked(db, intent.reference_id)) == 1
    assert len(events(db, "PaymentSucceeded")) == 5
    receipts = _receipts(db)
    # Ten events received (the duplicate counted on its first receipt), the forgery kept as refused,
    # and nothing at all for the unknown payment, so that its retry can still be applied.
    first_success = json.loads(bodies[intents[0].id])["id"]
    assert [r for r in receipts if r[0] == first_success] == [(first_success, True, 2, "applied")]
    assert sum(1 for r in receipts if r[1]) == 10
    assert [(r[0], r[1]) for r in receipts if not r[1]] == [(None, False)]
    assert not [r for r in receipts if r[0] == "evt_sbx_unknown"]


def test_concurrent_confirmations_in_one_batch(db: Database, session: Session, client: TestClient) -> None:
    intents = [make_intent(session) for _ in range(4)]
    session.rollback()

    def confirming(intent: IntentOut, secret: str | None = None) -> Callable[[Session], Any]:
        return lambda s: (
            psp.confirm(s, intent.provider_ref or "", secret or intent.client_secret, "tok_ok").status
        )

    works = [confirming(i) for i in intents]
    works.append(confirming(intents[0]))  # the buyer taps twice: the second finds it paid
    works.append(confirming(intents[1], secret="not-the-secret"))

    results, batches = together(db, works)

    assert batches == [6]
    *confirmed, again, wrong_secret = results
    assert confirmed == ["succeeded"] * 4
    assert isinstance(again, AppError) and again.code == "ALREADY_PAID"
    assert isinstance(wrong_secret, AppError) and wrong_secret.code == "PAYMENT_NOT_FOUND"
    with unit_of_work(db, read_only=True) as s:
        queued = s.scalar(select(func.count()).select_from(SandboxWebhook))
    assert queued == 8  # processing and succeeded for each payment, nothing for the refused taps
    report = deliver(db, client)
    assert report.acknowledged == 8 and report.failed == 0
    assert [state(db, i.id).status for i in intents] == ["succeeded"] * 4
    assert len(events(db, "PaymentSucceeded")) == 4

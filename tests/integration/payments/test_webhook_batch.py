"""The set-based webhook batch (``payments.webhook_batch``) against the one-at-a-time path it replaces:
the same deliveries, in the same order, give the same answers and leave the same receipts, intent
trails, ledger postings, announcements and paid orders — whichever path each delivery took."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.batching import GroupCommit
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.uow import unit_of_work
from laotie.ledger import service as ledger
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderEvent
from laotie.payments import webhook_batch, webhooks
from laotie.payments.interfaces import InvalidSignature
from laotie.payments.models import PaymentIntent, PaymentIntentEvent, PaymentWebhookReceipt
from laotie.payments.sandbox import signature
from laotie.payments.sandbox.delivery import encode
from laotie.payments.schemas import IntentOut
from laotie.settings import get_settings
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm
from tests.integration.payments.test_batching import _queued

Delivery = webhook_batch.Delivery


def _signed(body: bytes, forged: bool = False) -> Delivery:
    secret = get_settings().payment_webhook_secret
    header = "t=1,v1=00" if forged else signature.sign(secret, body, clock.now())
    return Delivery("sandbox", body, {"Content-Type": "application/json", signature.HEADER: header})


def _paid_intents(session: Session, client: TestClient, n: int) -> list[IntentOut]:
    """``n`` checkouts of one order each, paid at the sandbox cashier (their webhooks queued)."""
    sale = make_on_sale(session, price_fen=990)
    intents = []
    for _ in range(n):
        buyer = make_buyer(session)
        placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
        intents.append(orders.pay(session, buyer.principal, placed.checkout_id, key()))
        session.commit()
    session.rollback()
    for intent in intents:
        assert confirm(client, intent).status_code == 202
    return intents


def _scenario(db: Database, intents: list[IntentOut], unknown_ref: str) -> list[list[Delivery]]:
    """Three batches of deliveries for five payments, mixing the common case with every odd one."""
    processing, succeeded = zip(*(_queued(db, i.provider_ref or "") for i in intents), strict=True)
    unknown = encode(
        {
            "id": f"evt_sbx_{unknown_ref}",
            "type": "payment.succeeded",
            "created": int(clock.now().timestamp()),
            "data": {"provider_ref": unknown_ref, "amount_fen": 990, "status": "succeeded"},
        }
    )
    return [
        # Four payments start processing; the fifth succeeds without saying so first.
        [*(_signed(processing[i]) for i in range(4)), _signed(succeeded[4])],
        [
            *(_signed(succeeded[i]) for i in range(3)),
            _signed(succeeded[1]),  # the same event twice in one batch: applied once
            _signed(processing[3]),  # received in the previous batch: a duplicate
            _signed(processing[4]),  # processing after succeeded: ignored, on the trail
            _signed(unknown),  # a payment we do not know: 404, no receipt
            _signed(succeeded[3], forged=True),  # refused, recorded
        ],
        [_signed(succeeded[3]), _signed(succeeded[0])],  # the last one, and a late retry of one applied
    ]


def _one_at_a_time(db: Database, batches: list[list[Delivery]]) -> list[Any]:
    batcher = GroupCommit(db, "one-at-a-time")

    def work(d: Delivery) -> Callable[[Session], Any]:
        return lambda s: webhooks.apply_signed(s, d.provider, d.body, d.headers)

    async def run_all() -> list[Any]:
        answers = []
        for d in (d for batch in batches for d in batch):
            try:
                answers.append(await batcher.run(work(d)))
            except Exception as exc:
                answers.append(exc)
        return answers

    try:
        return asyncio.run(run_all())
    finally:
        batcher.close()


def _batched(db: Database, batches: list[list[Delivery]]) -> tuple[list[Any], list[int]]:
    batcher = GroupCommit(db, "batched")

    async def run_all() -> list[Any]:
        answers = []
        for batch in batches:
            jobs = [batcher.run_item(webhook_batch.apply_many, d) for d in batch]
            answers += await asyncio.gather(*jobs, return_exceptions=True)
        return answers

    try:
        return asyncio.run(run_all()), batcher.batch_sizes
    finally:
        batcher.close()


def _answer(a: Any) -> Any:
    if isinstance(a, InvalidSignature):
        return "invalid-signature"
    if isinstance(a, AppError):
        return a.code
    assert not isinstance(a, Exception), a
    return str(a)


def _world(db: Database, intents: list[IntentOut], unknown_ref: str) -> dict[str, Any]:
    """Everything the deliveries changed, with this side's ids replaced by the payment's position."""
    index = {i.id: n for n, i in enumerate(intents)}
    by_ref = {i.provider_ref: n for n, i in enumerate(intents)}
    checkouts = {i.reference_id: n for n, i in enumerate(intents)}

    def plain(text: str) -> str:
        for intent_id, n in index.items():
            text = text.replace(f"payment {intent_id}", f"payment #{n}")
        return text

    with unit_of_work(db, read_only=True) as s:
        receipts = []
        for r in s.scalars(select(PaymentWebhookReceipt).order_by(PaymentWebhookReceipt.id)):
            ref = json.loads(r.body)["data"]["provider_ref"]
            if ref in by_ref or ref == unknown_ref:
                receipts.append(
                    (
                        by_ref.get(ref),
                        r.event_type,
                        r.signature_ok,
                        r.times_received,
                        str(r.outcome),
                        r.reason,
                    )
                )
        trail = [
            (
                index[e.intent_id],
                e.kind,
                e.from_status,
                e.to_status,
                e.reason,
                e.data,
                e.provider_event_id is None,
            )
            for e in s.scalars(
                select(PaymentIntentEvent)
                .where(PaymentIntentEvent.intent_id.in_(index))
                .order_by(PaymentIntentEvent.intent_id, PaymentIntentEvent.id)
            )
        ]
        states = [
            (index[p.id], str(p.status), p.captured_fen, p.late, p.succeeded_at is not None)
            for p in s.scalars(
                select(PaymentIntent).where(PaymentIntent.id.in_(index)).order_by(PaymentIntent.id)
            )
        ]
        books = [
            (n, t.kind, sorted((str(p.kind), p.amount_fen) for p in t.postings))
            for ref, n in checkouts.items()
            for t in ledger.transactions_for(s, "checkout", ref)
        ]
        order_ids = {
            o.id: checkouts[str(o.checkout_id)]
            for o in s.scalars(select(Order).where(Order.checkout_id.in_([int(c) for c in checkouts])))
        }
        paid = sorted(
            (order_ids[e.order_id], e.kind, e.from_status, e.to_status, plain(e.reason))
            for e in s.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(order_ids)))
        )
        statuses = sorted((n, str(s.get(Order, i).status)) for i, n in order_ids.items())  # type: ignore[union-attr]
        announced = sorted(
            (e.topic, index.get(e.payload.get("intent_id"), -1), order_ids.get(e.payload.get("order_id"), -1))
            for e in s.scalars(
                select(OutboxEvent).where(OutboxEvent.topic.in_(["PaymentSucceeded", "OrderPaid"]))
            )
            if e.payload.get("intent_id") in index or e.payload.get("order_id") in order_ids
        )
    return {
        "receipts": sorted(receipts, key=repr),
        "trail": trail,
        "states": states,
        "books": sorted(books, key=repr),
        "order trail": paid,
        "orders": statuses,
        "announced": announced,
    }


def test_a_batch_does_exactly_what_one_at_a_time_does(
    db: Database, session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone_intents = _paid_intents(session, client, 5)
    batch_intents = _paid_intents(session, client, 5)
    alone_batches = _scenario(db, alone_intents, "pi_sbx_unknown_alone")
    batched_batches = _scenario(db, batch_intents, "pi_sbx_unknown_batched")

    alone = [_answer(a) for a in _one_at_a_time(db, alone_batches)]
    slow: list[bytes] = []
    one_by_one = webhook_batch._one_by_one

    def counted(session: Session, unit: Any) -> Any:
        slow.append(unit.body)
        return one_by_one(session, unit)

    monkeypatch.setattr(webhook_batch, "_one_by_one", counted)
    batched_answers, sizes = _batched(db, batched_batches)
    batched = [_answer(a) for a in batched_answers]

    assert sizes == [5, 8, 2]
    # Only the odd ones went one by one: the event twice, processing after succeeded, the unknown
    # payment, the forgery, and the two retries of events already applied (their intents moved on).
    assert len(slow) == 7
    assert batched == alone
    assert alone == [
        *["applied"] * 5,
        *["applied"] * 3,
        "duplicate",
        "duplicate",
        "ignored",
        "PAYMENT_NOT_FOUND",
        "invalid-signature",
        "applied",
        "duplicate",
    ]
    world_alone = _world(db, alone_intents, "pi_sbx_unknown_alone")
    world_batched = _world(db, batch_intents, "pi_sbx_unknown_batched")
    for part, seen in world_alone.items():
        assert world_batched[part] == seen, part
    assert world_batched["orders"] == [(n, "paid") for n in range(5)]
    assert len(world_batched["books"]) == 5
    assert sum(1 for r in world_batched["receipts"] if r[0] is None) == 0  # nothing for the unknown one


def test_the_same_webhook_delivered_five_times_at_once_applies_once(
    db: Database, session: Session, client: TestClient
) -> None:
    """Five batches, each in its own transaction on its own connection, all with the same success:
    the intent's row lock makes them take turns; the first applies it, the others find its receipt."""
    if db.is_sqlite:
        pytest.skip("row locks: PostgreSQL (SQLite writers already take turns)")
    [intent] = _paid_intents(session, client, 1)
    processing, succeeded = _queued(db, intent.provider_ref or "")
    first, *_ = _batched(db, [[_signed(processing)]])
    assert _answer(first[0]) == "applied"
    batchers = [GroupCommit(db, f"psp-{n}") for n in range(5)]

    async def at_once() -> list[Any]:
        jobs = [b.run_item(webhook_batch.apply_many, _signed(succeeded)) for b in batchers]
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        answers = sorted(_answer(a) for a in asyncio.run(at_once()))
    finally:
        for b in batchers:
            b.close()

    assert answers == ["applied", *["duplicate"] * 4]
    world = _world(db, [intent], "pi_sbx_none")
    assert [r[3:5] for r in world["receipts"] if r[1] == "payment.succeeded"] == [(5, "applied")]
    assert [t[1] for t in world["trail"]].count("succeeded") == 1
    assert len(world["books"]) == 1
    assert world["orders"] == [(0, "paid")]
    assert [o[1] for o in world["order trail"]].count("paid") == 1
    assert sorted(a[0] for a in world["announced"]) == ["OrderPaid", "PaymentSucceeded"]

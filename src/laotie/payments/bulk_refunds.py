"""Many refunds at once (the platform's bulk counterfeit refunds): the same checks, provider call
and booking as ``refunds.refund``, with the intents locked in one statement (in id order) and the
rows, ledger postings, trail and events written with a few statements for the whole batch.

All or nothing: a refund the provider refuses, or one that is not possible, raises, and the caller
rolls the batch back (and may refund one by one). Keys must be new; a replay goes through
``refunds.refund`` on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit_many
from laotie.events.payments import PaymentRefunded
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting, TransactionKind
from laotie.payments import errors, gateway
from laotie.payments.intents import payload
from laotie.payments.interfaces import ProviderError, RefundStatus
from laotie.payments.models import (
    IntentEventKind,
    PaymentIntent,
    PaymentIntentEvent,
    PaymentRefund,
    RefundState,
)
from laotie.payments.refunds import _legs


@dataclass(frozen=True)
class RefundIn:
    intent_id: int
    amount_fen: int
    idempotency_key: str
    reason: str
    source: Sequence[Posting]
    actor_id: int | None = None


def refund_many(session: Session, items: Sequence[RefundIn]) -> list[int]:
    """Refund each item; returns the payment refund ids in order."""
    if not items:
        return []
    intent_ids = sorted({i.intent_id for i in items})
    intents = {
        row.id: row
        for row in session.scalars(
            select(PaymentIntent)
            .where(PaymentIntent.id.in_(intent_ids))
            .order_by(PaymentIntent.id)
            .with_for_update()
        )
    }
    taken = set(
        session.execute(
            select(PaymentRefund.intent_id, PaymentRefund.idempotency_key).where(
                PaymentRefund.intent_id.in_(intent_ids),
                PaymentRefund.idempotency_key.in_([i.idempotency_key for i in items]),
            )
        ).all()
    )
    left: dict[int, int] = {}
    legs = []
    for item in items:
        intent = intents.get(item.intent_id)
        if intent is None:
            raise errors.PAYMENT_NOT_FOUND(intent_id=item.intent_id)
        if (item.intent_id, item.idempotency_key) in taken:
            raise errors.IDEMPOTENCY_KEY_REUSED(idempotency_key=item.idempotency_key)
        if intent.captured_fen == 0 or intent.provider_ref is None:
            raise errors.NOT_CAPTURED(intent_id=intent.id)
        refundable = left.setdefault(intent.id, intent.captured_fen - intent.refunded_fen)
        if item.amount_fen > refundable:
            raise errors.REFUND_EXCEEDS_PAID(refundable_fen=refundable, amount_fen=item.amount_fen)
        left[intent.id] = refundable - item.amount_fen
        legs.append(_legs(item.source, item.amount_fen))
    now = clock.now()
    ids = session.scalars(
        insert(PaymentRefund).returning(PaymentRefund.id, sort_by_parameter_order=True),
        [
            {
                "intent_id": item.intent_id,
                "amount_fen": item.amount_fen,
                "idempotency_key": item.idempotency_key,
                "reason": item.reason[:200],
                "source": [[p.kind.value, p.owner_id, p.amount_fen] for p in item_legs],
                "state": RefundState.PENDING,
                "provider_refund_ref": "",
                "actor_id": item.actor_id,
                "created_at": now,
            }
            for item, item_legs in zip(items, legs, strict=True)
        ],
    ).all()
    provider = gateway.get_provider(session)
    requests = [
        (str(intents[item.intent_id].provider_ref), item.amount_fen, f"laotie-refund-{row_id}", item.reason)
        for item, row_id in zip(items, ids, strict=True)
    ]
    try:
        # A provider with a batch refund API (the sandbox has one) answers all in one call.
        batch = getattr(provider, "refund_many", None)
        results = (
            batch(requests)
            if batch is not None
            else [
                provider.refund(provider_ref=ref, amount_fen=amount, idempotency_key=key, reason=reason)
                for ref, amount, key, reason in requests
            ]
        )
    except ProviderError as exc:
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc
    for result in results:
        if result.status == RefundStatus.FAILED:
            raise errors.REFUND_DECLINED(reason=result.failure_reason or "refused")
    table = cast(Table, PaymentRefund.__table__)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("rid"))
        .values(state=bindparam("st"), provider_refund_ref=bindparam("ref")),
        [
            {
                "rid": row_id,
                "st": (
                    RefundState.SUCCEEDED if r.status == RefundStatus.SUCCEEDED else RefundState.PENDING
                ).value,
                "ref": r.provider_refund_ref,
            }
            for row_id, r in zip(ids, results, strict=True)
        ],
    )
    ledger.post_many(
        session,
        [
            ledger.TransactionIn(
                kind=TransactionKind.PAYMENT_REFUND,
                reference_type=intents[item.intent_id].reference_type,
                reference_id=intents[item.intent_id].reference_id,
                postings=[*item_legs, Posting(AccountKind.PSP_CASH, -item.amount_fen)],
                idempotency_key=f"payments:refund:{row_id}",
                memo=f"refund {row_id} of payment intent {item.intent_id}: {item.reason}"[:200],
            )
            for item, item_legs, row_id in zip(items, legs, ids, strict=True)
        ],
    )
    trail = []
    events: list[PaymentRefunded] = []
    for item, row_id in zip(items, ids, strict=True):
        intent = intents[item.intent_id]
        intent.refunded_fen += item.amount_fen
        intent.updated_at = now
        data = {"refund_id": row_id, "amount_fen": item.amount_fen, "refunded_fen": intent.refunded_fen}
        trail.append(
            {
                "intent_id": intent.id,
                "kind": IntentEventKind.REFUNDED,
                "actor_id": item.actor_id,
                "reason": item.reason,
                "data": data,
                "at": now,
            }
        )
        events.append(
            PaymentRefunded(
                **payload(intent),
                refund_id=row_id,
                refund_fen=item.amount_fen,
                refunded_fen=intent.refunded_fen,
                fully_refunded=intent.refunded_fen == intent.captured_fen,
                reason=item.reason,
            )
        )
    session.execute(insert(PaymentIntentEvent), trail)
    emit_many(session, events)
    session.flush()
    return list(ids)


def refundable_intents(session: Session, reference_type: str, reference_ids: Sequence[int]) -> dict[int, int]:
    """reference id -> the id of its first intent with captured money not yet refunded, in one query
    (``intents_for`` of many references)."""
    rows = session.execute(
        select(PaymentIntent.reference_id, PaymentIntent.id)
        .where(
            PaymentIntent.reference_type == reference_type,
            PaymentIntent.reference_id.in_([str(r) for r in reference_ids]),
            PaymentIntent.captured_fen > PaymentIntent.refunded_fen,
        )
        .order_by(PaymentIntent.id.desc())
    ).all()
    return {int(ref): intent_id for ref, intent_id in rows}  # the first (lowest id) wins

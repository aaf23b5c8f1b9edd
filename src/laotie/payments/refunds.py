"""Refunds: money back to the buyer through the provider, booked once, never above what was captured."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.events.payments import PaymentRefunded
from laotie.ledger import service as ledger
from laotie.ledger.errors import UnbalancedPosting
from laotie.ledger.schemas import AccountKind, Posting, TransactionKind
from laotie.payments import errors, gateway
from laotie.payments.intents import capture_account, load, payload, record
from laotie.payments.interfaces import ProviderError, RefundStatus
from laotie.payments.models import IntentEventKind as E
from laotie.payments.models import PaymentRefund, RefundState
from laotie.payments.schemas import RefundOut


def refund_out(row: PaymentRefund, replayed: bool = False) -> RefundOut:
    return RefundOut(
        id=row.id,
        intent_id=row.intent_id,
        amount_fen=row.amount_fen,
        reason=row.reason,
        state=row.state,
        provider_refund_ref=row.provider_refund_ref,
        created_at=row.created_at,
        replayed=replayed,
    )


def _legs(source: Sequence[Posting], amount_fen: int) -> list[Posting]:
    legs = list(source)
    if any(not isinstance(p.amount_fen, int) or p.amount_fen <= 0 for p in legs):
        raise UnbalancedPosting("refund source legs are debits: positive whole fen")
    if sum(p.amount_fen for p in legs) != amount_fen:
        raise UnbalancedPosting(
            f"refund source legs sum to {sum(p.amount_fen for p in legs)}, not {amount_fen}"
        )
    if any(p.kind == AccountKind.PSP_CASH for p in legs):
        raise UnbalancedPosting("a refund cannot come out of PSP_CASH into PSP_CASH")
    return legs


def refund(
    session: Session,
    intent_id: int,
    amount_fen: int,
    idempotency_key: str,
    reason: str,
    source: Sequence[Posting] | None,
    actor_id: int | None,
) -> RefundOut:
    # The intent's row lock serialises refunds of one payment, so two can never overdraw it.
    intent = load(session, intent_id, for_update=True)
    legs = _legs(source, amount_fen) if source else [Posting(capture_account(intent), amount_fen)]
    fingerprint = [[p.kind.value, p.owner_id, p.amount_fen] for p in legs]
    previous = session.scalar(
        select(PaymentRefund).where(
            PaymentRefund.intent_id == intent_id, PaymentRefund.idempotency_key == idempotency_key
        )
    )
    if previous is not None:
        if previous.amount_fen != amount_fen or previous.source != fingerprint:
            raise errors.IDEMPOTENCY_KEY_REUSED(idempotency_key=idempotency_key)
        return refund_out(previous, replayed=True)
    if intent.captured_fen == 0 or intent.provider_ref is None:
        raise errors.NOT_CAPTURED(intent_id=intent_id)
    refundable = intent.captured_fen - intent.refunded_fen
    if amount_fen > refundable:
        raise errors.REFUND_EXCEEDS_PAID(refundable_fen=refundable, amount_fen=amount_fen)
    row = PaymentRefund(
        intent_id=intent.id,
        amount_fen=amount_fen,
        idempotency_key=idempotency_key,
        reason=reason[:200],
        source=fingerprint,
        state=RefundState.PENDING,
        provider_refund_ref="",
        actor_id=actor_id,
        created_at=clock.now(),
    )
    # A refused refund leaves nothing behind, even for a caller that catches the error and commits.
    savepoint = session.begin_nested()
    session.add(row)
    session.flush()
    try:
        result = gateway.get_provider(session).refund(
            provider_ref=intent.provider_ref,
            amount_fen=amount_fen,
            idempotency_key=f"laotie-refund-{row.id}",
            reason=reason,
        )
    except ProviderError as exc:
        savepoint.rollback()
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc
    if result.status == RefundStatus.FAILED:
        savepoint.rollback()
        raise errors.REFUND_DECLINED(reason=result.failure_reason or "refused")
    savepoint.commit()
    # A pending refund is already out of our provider balance, so it is booked now as well.
    row.state = RefundState.SUCCEEDED if result.status == RefundStatus.SUCCEEDED else RefundState.PENDING
    row.provider_refund_ref = result.provider_refund_ref
    ledger.post(
        session,
        kind=TransactionKind.PAYMENT_REFUND,
        reference_type=intent.reference_type,
        reference_id=intent.reference_id,
        postings=[*legs, Posting(AccountKind.PSP_CASH, -amount_fen)],
        idempotency_key=f"payments:refund:{row.id}",
        memo=f"refund {row.id} of payment intent {intent.id}: {reason}"[:200],
    )
    intent.refunded_fen += amount_fen
    intent.updated_at = clock.now()
    record(
        session,
        intent,
        E.REFUNDED,
        actor_id=actor_id,
        reason=reason,
        data={"refund_id": row.id, "amount_fen": amount_fen, "refunded_fen": intent.refunded_fen},
    )
    emit(
        session,
        PaymentRefunded(
            **payload(intent),
            refund_id=row.id,
            refund_fen=amount_fen,
            refunded_fen=intent.refunded_fen,
            fully_refunded=intent.refunded_fen == intent.captured_fen,
            reason=reason,
        ),
    )
    session.flush()
    return refund_out(row)

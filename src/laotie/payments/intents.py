"""The intent's state machine: the only place an intent's status changes, each change written to its
trail, booked in the ledger and announced in the same transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit, emit_many
from laotie.core.transitions import Transitions, move
from laotie.events.payments import (
    PaymentCanceled,
    PaymentExpired,
    PaymentFailed,
    PaymentSucceeded,
    PaymentSucceededLate,
)
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting, TransactionKind
from laotie.payments import errors, gateway
from laotie.payments.interfaces import ProviderError
from laotie.payments.models import (
    OPEN_STATUSES,
    IntentEventKind,
    IntentKind,
    IntentStatus,
    PaymentIntent,
    PaymentIntentEvent,
    WebhookOutcome,
)
from laotie.payments.models import IntentEventKind as E
from laotie.payments.schemas import IntentOut

log = logging.getLogger(__name__)

S = IntentStatus
# Every allowed change. A success after the intent closed is still taken: the money was captured.
TRANSITIONS: Transitions[IntentStatus] = Transitions(
    {
        S.REQUIRES_CONFIRMATION: {S.PROCESSING, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELED},
        S.PROCESSING: {S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELED},
        S.SUCCEEDED: set(),
        S.FAILED: {S.SUCCEEDED},
        S.EXPIRED: {S.SUCCEEDED},
        S.CANCELED: {S.SUCCEEDED},
    }
)


class IllegalTransition(RuntimeError):
    """A programming error: code tried a change the state machine does not allow."""


def intent_out(intent: PaymentIntent, replayed: bool = False) -> IntentOut:
    return IntentOut(
        id=intent.id,
        buyer_id=intent.buyer_id,
        kind=intent.kind,
        amount_fen=intent.amount_fen,
        reference_type=intent.reference_type,
        reference_id=intent.reference_id,
        status=intent.status,
        provider=intent.provider,
        provider_ref=intent.provider_ref,
        client_secret=intent.client_secret,
        next_action_url=intent.next_action_url,
        failure_reason=intent.failure_reason,
        captured_fen=intent.captured_fen,
        refunded_fen=intent.refunded_fen,
        late=intent.late,
        created_at=intent.created_at,
        expires_at=intent.expires_at,
        succeeded_at=intent.succeeded_at,
        replayed=replayed,
    )


def record(
    session: Session,
    intent: PaymentIntent,
    kind: IntentEventKind,
    *,
    from_status: IntentStatus | None = None,
    to_status: IntentStatus | None = None,
    actor_id: int | None = None,
    provider_event_id: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        PaymentIntentEvent(
            intent_id=intent.id,
            kind=kind,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            actor_id=actor_id,
            provider_event_id=provider_event_id,
            reason=reason,
            data=data or {},
            at=clock.now(),
        )
    )


def transition(
    session: Session,
    intent: PaymentIntent,
    to: IntentStatus,
    kind: IntentEventKind,
    *,
    actor_id: int | None = None,
    provider_event_id: str | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:

    def refuse(before: IntentStatus, to: IntentStatus) -> Exception:
        return IllegalTransition(f"intent {intent.id}: {before} -> {to}")

    def trail(before: IntentStatus, to: IntentStatus) -> None:
        intent.updated_at = clock.now()
        record(
            session,
            intent,
            kind,
            from_status=before,
            to_status=to,
            actor_id=actor_id,
            provider_event_id=provider_event_id,
            reason=reason,
            data=data,
        )

    move(intent, to, TRANSITIONS, refuse=refuse, trail=trail)
    session.flush()


def load(session: Session, intent_id: int, for_update: bool = False) -> PaymentIntent:
    query = select(PaymentIntent).where(PaymentIntent.id == intent_id)
    if for_update:
        query = query.with_for_update()
    intent = session.scalar(query)
    if intent is None:
        raise errors.PAYMENT_NOT_FOUND(intent_id=intent_id)
    return intent


def lock_by_provider_ref(session: Session, provider: str, provider_ref: str) -> PaymentIntent | None:
    return session.scalar(
        select(PaymentIntent)
        .where(PaymentIntent.provider == provider, PaymentIntent.provider_ref == provider_ref)
        .with_for_update()
    )


def capture_account(intent: Any) -> AccountKind:
    """What a capture credits: buyers' money awaiting settlement, or for pay-after-use the receivable
    that orders booked when the goods went out on credit."""
    return (
        AccountKind.PAY_LATER_RECEIVABLE
        if intent.kind == IntentKind.PAY_LATER
        else AccountKind.PLATFORM_CLEARING
    )


def payload(intent: Any) -> dict[str, Any]:
    """The fields every intent event carries (``events.payments.IntentEvent``)."""
    return {
        "intent_id": intent.id,
        "buyer_id": intent.buyer_id,
        "reference_type": intent.reference_type,
        "reference_id": intent.reference_id,
        "amount_fen": intent.amount_fen,
        "kind": intent.kind.value,
    }


def mark_processing(session: Session, intent: PaymentIntent, provider_event_id: str | None) -> WebhookOutcome:
    if intent.status != S.REQUIRES_CONFIRMATION:
        return WebhookOutcome.IGNORED  # a late or out-of-order "processing" says nothing new
    transition(session, intent, S.PROCESSING, E.PROCESSING, provider_event_id=provider_event_id)
    return WebhookOutcome.APPLIED


def _capture_booking(intent: Any) -> ledger.TransactionIn:
    """What a capture books (an ORM intent or a locked row): the PSP holds the buyer's money."""
    return ledger.TransactionIn(
        kind=TransactionKind.PAYMENT_CAPTURE,
        reference_type=intent.reference_type,
        reference_id=intent.reference_id,
        postings=[
            Posting(AccountKind.PSP_CASH, intent.amount_fen),
            Posting(capture_account(intent), -intent.amount_fen),
        ],
        idempotency_key=f"payments:capture:{intent.id}",
        memo=f"payment intent {intent.id} ({intent.provider} {intent.provider_ref})",
    )


def capture(
    session: Session,
    intent: PaymentIntent,
    provider_event_id: str | None,
    source: str,
    provider_paid_at: datetime | None = None,
) -> WebhookOutcome:
    """The provider has the buyer's money: mark the intent succeeded, book it, announce it. A capture
    for an intent that already closed is kept too (booked, and announced as late so the owner of the
    reference decides: ``provider_paid_at``, when the provider took the money, tells it whether the
    buyer paid in time although the news came late)."""
    if intent.status == S.SUCCEEDED:
        return WebhookOutcome.IGNORED
    previous = intent.status
    late = previous not in OPEN_STATUSES
    transition(
        session,
        intent,
        S.SUCCEEDED,
        E.LATE_SUCCESS if late else E.SUCCEEDED,
        provider_event_id=provider_event_id,
        data={"source": source},
    )
    now = clock.now()
    intent.captured_fen = intent.amount_fen
    intent.succeeded_at = now
    intent.late = late
    # The ledger's Core path (a few statements, no ORM rows), as ``capture_many`` books a whole batch.
    ledger.post_many(session, [_capture_booking(intent)])
    body = {
        **payload(intent),
        "provider_ref": intent.provider_ref,
        "succeeded_at": now.isoformat(),
        "provider_paid_at": (provider_paid_at or now).isoformat(),
    }
    if late:
        log.warning("payment intent %s captured after it was %s", intent.id, previous.value)
        emit(session, PaymentSucceededLate(**body, previous_status=previous.value))
    else:
        emit(session, PaymentSucceeded(**body))
    session.flush()
    return WebhookOutcome.APPLIED


def fail(
    session: Session, intent: PaymentIntent, reason: str, provider_event_id: str | None
) -> WebhookOutcome:
    if intent.status not in OPEN_STATUSES:
        return WebhookOutcome.IGNORED  # a decline after success, expiry or cancellation changes nothing
    intent.failure_reason = reason[:200]
    transition(session, intent, S.FAILED, E.FAILED, provider_event_id=provider_event_id, reason=reason)
    emit(session, PaymentFailed(**payload(intent), reason=reason))
    return WebhookOutcome.APPLIED


def close(
    session: Session, intent: PaymentIntent, to: IntentStatus, reason: str, actor_id: int | None
) -> None:
    """Expire or cancel an open intent, and ask the provider to stop it. If the provider says it is too
    late, its success webhook will still come and be taken as a late success."""
    transition(session, intent, to, E(to.value), actor_id=actor_id, reason=reason)
    event = PaymentExpired if to == S.EXPIRED else PaymentCanceled
    emit(session, event(**payload(intent), reason=reason))
    if intent.provider_ref is None:
        return
    try:
        stopped = gateway.get_provider(session).cancel_intent(intent.provider_ref, reason=to.value)
    except ProviderError:
        log.warning("could not stop payment %s at the provider", intent.provider_ref, exc_info=True)
        stopped = False
    if not stopped:
        record(session, intent, E.PROVIDER_TOO_LATE, reason="the provider could not stop it")
    session.flush()


# The set-based path of the signed webhooks' batch (``payments.webhook_batch``): the same moves as
# ``mark_processing`` and an on-time ``capture``, for many intents with a few Core statements. The
# caller has locked the rows (``lock_many_by_provider_ref``) and checked that each move is allowed.
INTENT_COLUMNS = (
    PaymentIntent.id,
    PaymentIntent.status,
    PaymentIntent.amount_fen,
    PaymentIntent.kind,
    PaymentIntent.buyer_id,
    PaymentIntent.reference_type,
    PaymentIntent.reference_id,
    PaymentIntent.provider,
    PaymentIntent.provider_ref,
)


def lock_many_by_provider_ref(session: Session, provider: str, provider_refs: list[str]) -> dict[str, Any]:
    """Lock every intent named (rows, not ORM objects), by provider_ref. In id order, the order every
    batch takes them in, so that two batches never wait on each other in a circle."""
    rows = session.execute(
        select(*INTENT_COLUMNS)
        .where(PaymentIntent.provider == provider, PaymentIntent.provider_ref.in_(provider_refs))
        .order_by(PaymentIntent.id)
        .with_for_update()
    ).all()
    return {row.provider_ref: row for row in rows}


def _move_many(
    session: Session, ids: list[int], before: IntentStatus, to: IntentStatus, values: dict[str, Any]
) -> None:
    if not TRANSITIONS.allows(before, to):
        raise IllegalTransition(f"intents {ids}: {before} -> {to}")
    moved = session.execute(
        update(PaymentIntent)
        .where(PaymentIntent.id.in_(ids), PaymentIntent.status == before)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if moved != len(ids):  # the caller's lock and check make this impossible: never half a batch
        raise IllegalTransition(f"{len(ids) - moved} of intents {ids} were not {before}")


def _trail_many(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PaymentIntentEvent), rows)


def mark_processing_many(session: Session, moves: list[tuple[Any, str]]) -> None:
    """``mark_processing`` for each (locked row in requires_confirmation, provider event id)."""
    if not moves:
        return
    now = clock.now()
    _move_many(session, [r.id for r, _ in moves], S.REQUIRES_CONFIRMATION, S.PROCESSING, {"updated_at": now})
    _trail_many(
        session,
        [
            {
                "intent_id": row.id,
                "kind": E.PROCESSING,
                "from_status": S.REQUIRES_CONFIRMATION.value,
                "to_status": S.PROCESSING.value,
                "actor_id": None,
                "provider_event_id": event_id,
                "reason": "",
                "data": {},
                "at": now,
            }
            for row, event_id in moves
        ],
    )


def capture_many(session: Session, captures: list[tuple[Any, str, datetime]], source: str) -> None:
    """An on-time ``capture`` for each (locked open row, provider event id, when the provider took
    the money): one update per status left, one trail insert, one ``post_many``, one ``emit_many``."""
    if not captures:
        return
    now = clock.now()
    values = {
        "updated_at": now,
        "captured_fen": PaymentIntent.amount_fen,
        "succeeded_at": now,
        "late": False,
    }
    for before in OPEN_STATUSES:
        ids = [row.id for row, _, _ in captures if row.status == before]
        if ids:
            _move_many(session, ids, before, S.SUCCEEDED, values)
    _trail_many(
        session,
        [
            {
                "intent_id": row.id,
                "kind": E.SUCCEEDED,
                "from_status": IntentStatus(row.status).value,
                "to_status": S.SUCCEEDED.value,
                "actor_id": None,
                "provider_event_id": event_id,
                "reason": "",
                "data": {"source": source},
                "at": now,
            }
            for row, event_id, _ in captures
        ],
    )
    ledger.post_many(session, [_capture_booking(row) for row, _, _ in captures])
    emit_many(
        session,
        [
            PaymentSucceeded(
                **payload(row),
                provider_ref=row.provider_ref,
                succeeded_at=now.isoformat(),
                provider_paid_at=paid_at.isoformat(),
            )
            for row, _, paid_at in captures
        ],
    )

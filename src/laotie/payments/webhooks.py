"""Webhooks from the provider: verified, recorded, and applied at most once.

A provider event is applied in the same transaction as its receipt row, and the endpoint answers 2xx
only after that transaction commits. A crash anywhere before the commit leaves neither the change nor
the receipt, so the provider's retry applies it; a retry after the commit finds the receipt and moves
nothing. Out-of-order events (``processing`` after ``succeeded``) are recorded and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.core.insert_if_new import insert_if_new
from laotie.events.payments import PayoutFailed, PayoutPaid
from laotie.payments import captured, errors, gateway
from laotie.payments.intents import capture, fail, lock_by_provider_ref, mark_processing, record
from laotie.payments.interfaces import InvalidSignature, WebhookEvent
from laotie.payments.models import IntentEventKind, PaymentIntent, PaymentWebhookReceipt, WebhookOutcome
from laotie.payments.sandbox.signature import HEADER as SANDBOX_SIGNATURE_HEADER

log = logging.getLogger(__name__)

Outcome = WebhookOutcome
MAX_STORED_BODY = 8000


def _signature_header(headers: Mapping[str, str]) -> str:
    wanted = SANDBOX_SIGNATURE_HEADER.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")[:300]


def _body_text(body: bytes) -> str:
    # Kept for investigation, as text: PostgreSQL text cannot hold NUL, which a forged body may carry.
    return body[:MAX_STORED_BODY].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def verify(session: Session, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """Check the signature and parse; raises ``InvalidSignature``."""
    return gateway.get_provider(session).parse_webhook(body, headers)


def verify_batch(
    session: Session, body: bytes, headers: Mapping[str, str]
) -> list[tuple[bytes, WebhookEvent | InvalidSignature]]:
    """Check a batch delivery's one signature and read its events (each with its own bytes, or the
    reason it is refused alone); raises ``InvalidSignature`` for the whole body."""
    provider = gateway.get_provider(session)
    parse_batch = getattr(provider, "parse_webhook_batch", None)
    if parse_batch is None:
        raise InvalidSignature(f"provider {provider.name} sends no batches")
    batch: list[tuple[bytes, WebhookEvent | InvalidSignature]] = parse_batch(body, headers)
    return batch


def record_rejected(
    session: Session, provider: str, body: bytes, headers: Mapping[str, str], reason: str
) -> None:
    """Keep a refused webhook for investigation. It never names an event: a forged id must not make
    the real event look like a duplicate later."""
    log.warning("refused a %s webhook: %s", provider, reason)
    now = clock.now()
    session.add(
        PaymentWebhookReceipt(
            provider=provider,
            provider_event_id=None,
            event_type="",
            provider_ref="",
            signature_ok=False,
            outcome=Outcome.REJECTED,
            reason=reason[:1000],
            signature_header=_signature_header(headers),
            body=_body_text(body),
            times_received=1,
            received_at=now,
            last_received_at=now,
        )
    )
    session.flush()


def _claim_receipt(
    session: Session, provider: str, event: WebhookEvent, body: bytes, headers: Mapping[str, str]
) -> int | None:
    """Insert the receipt and return its id, or None when this event was already received (a
    duplicate, counted on the first receipt). One ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
    decides it (``webhook_batch`` inserts a whole batch's receipts with one): the same event
    delivered twice at once waits for the first one's commit at the unique key and then finds it."""
    now = clock.now()
    inserted = insert_receipts_if_new(
        session, [receipt_values(provider, event, body, headers, now, Outcome.IGNORED)], RECEIPTS.c.id
    )
    if inserted:
        return int(inserted[0])
    count_again(session, provider, [event.event_id], now)
    return None


RECEIPTS: Table = PaymentWebhookReceipt.__table__  # type: ignore[assignment]


def receipt_values(
    provider: str,
    event: WebhookEvent,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    outcome: WebhookOutcome,
) -> dict[str, Any]:
    """A verified delivery's receipt row."""
    return {
        "provider": provider,
        "provider_event_id": event.event_id,
        "event_type": event.type[:40],
        "provider_ref": event.provider_ref[:64],
        "signature_ok": True,
        "outcome": outcome,
        "reason": "",
        "signature_header": _signature_header(headers),
        "body": _body_text(body),
        "times_received": 1,
        "received_at": now,
        "last_received_at": now,
    }


def insert_receipts_if_new(session: Session, rows: list[dict[str, Any]], returning: Column[Any]) -> list[Any]:
    """Insert these receipt rows, skipping events received before (they keep their first receipt):
    ``returning`` of the rows inserted. One ``INSERT ... ON CONFLICT (provider, provider_event_id)
    DO NOTHING RETURNING`` executed for all rows (SQLAlchemy sends them as multi-row VALUES), built
    once per dialect (``core.insert_if_new``) rather than compiled again for each batch's size."""
    statement = insert_if_new(session, RECEIPTS, ("provider", "provider_event_id"), (returning,))
    return list(session.execute(statement, rows).scalars())


def count_again(session: Session, provider: str, event_ids: list[str], now: datetime) -> None:
    """Events received again (duplicates): counted on their first receipt, which is all they change."""
    session.execute(
        update(PaymentWebhookReceipt)
        .where(
            PaymentWebhookReceipt.provider == provider,
            PaymentWebhookReceipt.provider_event_id.in_(event_ids),
        )
        .values(times_received=PaymentWebhookReceipt.times_received + 1, last_received_at=now)
        .execution_options(synchronize_session=False)
    )


def _apply_payment(
    session: Session, intent: PaymentIntent, event: WebhookEvent
) -> tuple[WebhookOutcome, str]:
    if event.amount_fen != intent.amount_fen:
        log.error(
            "webhook %s: provider says %s fen for intent %s of %s fen; not applied",
            event.event_id,
            event.amount_fen,
            intent.id,
            intent.amount_fen,
        )
        return Outcome.MISMATCH, f"amount {event.amount_fen} != intent amount {intent.amount_fen}"
    if event.type == "payment.processing":
        outcome = mark_processing(session, intent, event.event_id)
    elif event.type == "payment.succeeded":
        outcome = capture(session, intent, event.event_id, "webhook", event.created_at)
        if outcome == Outcome.APPLIED and not intent.late:
            # The buyer waits on this one: done now, not an outbox pass later (``captured``).
            captured.run(session, intent.reference_type, intent.id, intent.reference_id)
    elif event.type == "payment.failed":
        reason = str(event.data.get("decline_reason") or "declined")
        outcome = fail(session, intent, reason, event.event_id)
    else:
        return Outcome.IGNORED, f"unhandled event type {event.type}"
    return outcome, "" if outcome == Outcome.APPLIED else f"intent is {intent.status.value}"


def _apply_payout(session: Session, event: WebhookEvent) -> tuple[WebhookOutcome, str]:
    announce = {"payout.paid": PayoutPaid, "payout.failed": PayoutFailed}.get(event.type)
    if announce is None:
        return Outcome.IGNORED, f"unhandled event type {event.type}"
    emit(
        session,
        announce(
            provider_payout_ref=event.provider_ref,
            amount_fen=event.amount_fen,
            failure_reason=str(event.data.get("failure_reason") or ""),
            metadata=dict(event.data.get("metadata") or {}),
        ),
    )
    return Outcome.APPLIED, ""


def apply_signed(
    session: Session, provider: str, body: bytes, headers: Mapping[str, str]
) -> WebhookOutcome | InvalidSignature:
    """Verify and apply one delivery (a request's work in a webhook batch). A refused signature is
    recorded and returned, not raised: the rejection is kept although the answer is an error."""
    try:
        event = verify(session, body, headers)
    except InvalidSignature as exc:
        record_rejected(session, provider, body, headers, exc.reason)
        return exc
    return receive(session, provider, event, body, headers)


def receive(
    session: Session, provider: str, event: WebhookEvent, body: bytes, headers: Mapping[str, str]
) -> WebhookOutcome:
    """Apply a verified event once. Every outcome is acknowledged (2xx), since retrying would not change
    it, except a payment we do not know (PAYMENT_NOT_FOUND): that one may yet appear."""
    intent = None
    if event.type.startswith("payment."):
        # Lock the intent first: deliveries of the same event, or of events for the same intent,
        # then take turns, and the later one sees the earlier one's receipt.
        intent = lock_by_provider_ref(session, provider, event.provider_ref)
        if intent is None:
            # Perhaps the transaction that asked for this payment has not committed yet: refuse
            # without a receipt, so that the provider's retry can still apply it.
            log.warning("webhook %s names unknown payment %s", event.event_id, event.provider_ref)
            raise errors.PAYMENT_NOT_FOUND(provider_ref=event.provider_ref)
    receipt_id = _claim_receipt(session, provider, event, body, headers)
    if receipt_id is None:
        return Outcome.DUPLICATE
    if intent is None:
        outcome, why = _apply_payout(session, event)
    else:
        outcome, why = _apply_payment(session, intent, event)
        if outcome != Outcome.APPLIED:
            record(
                session, intent, IntentEventKind.WEBHOOK_IGNORED, provider_event_id=event.event_id, reason=why
            )
    session.execute(
        update(PaymentWebhookReceipt)
        .where(PaymentWebhookReceipt.id == receipt_id)
        .values(outcome=outcome, reason=why)
        .execution_options(synchronize_session=False)
    )
    return outcome

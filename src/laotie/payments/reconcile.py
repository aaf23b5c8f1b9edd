"""Before an unpaid reference is given up: ask the provider, do not trust the silence.

A webhook can be minutes late (issue 9: a median of 96 s under a flash-sale load), so the owner of a
reference (orders' unpaid-order timeout, a buyer cancelling) calls ``stop_or_capture`` before it
cancels. For each open intent of the reference it asks the provider where the payment stands:

- taken (succeeded): captured here and now, exactly as the webhook would (the webhook, when it comes,
  finds it done) -> ``CAPTURED``: the payment wins, the reference must not be cancelled;
- confirmed by the buyer and still working (processing), or the provider cannot be reached ->
  ``PENDING``: ask again later; ``give_up`` (the owner's grace is over) cancels a processing payment
  at the provider anyway, and an unreachable provider still answers ``PENDING``;
- not confirmed, failed, expired or cancelled -> stopped at the provider (cancel_intent) and closed
  here -> ``STOPPED``: no money can come; if the provider says it is too late to stop, it is asked
  again and its answer applied.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.events import emit
from laotie.events.payments import PaymentCanceled, PaymentExpired
from laotie.payments import gateway
from laotie.payments.intents import capture, close, fail, payload, record, transition
from laotie.payments.interfaces import ProviderError, ProviderIntent
from laotie.payments.models import OPEN_STATUSES, IntentStatus, PaymentIntent
from laotie.payments.models import IntentEventKind as E

log = logging.getLogger(__name__)
S = IntentStatus


class PaymentState(enum.StrEnum):
    CAPTURED = "captured"  # money was taken: the reference is paid
    PENDING = "pending"  # it may still be taken: do not cancel yet
    STOPPED = "stopped"  # no payment can come any more


def _ask(session: Session, intent: PaymentIntent) -> ProviderIntent | None:
    if intent.provider_ref is None:
        return None
    try:
        return gateway.get_provider(session).retrieve_intent(intent.provider_ref)
    except ProviderError:
        log.warning("could not ask the provider about payment %s", intent.provider_ref, exc_info=True)
        return None


def _apply(
    session: Session, intent: PaymentIntent, state: ProviderIntent, reason: str
) -> PaymentState | None:
    """What the provider said, applied to the open intent; None when it is still working."""
    if state.status == "succeeded" and state.amount_fen == intent.amount_fen:
        capture(session, intent, None, "reconcile", state.succeeded_at)
        return PaymentState.CAPTURED
    if state.status == "failed":
        fail(session, intent, state.decline_reason or "declined", None)
        return PaymentState.STOPPED
    if state.status in ("canceled", "expired"):
        to = S.EXPIRED if state.status == "expired" else S.CANCELED
        transition(session, intent, to, E(to.value), reason=reason, data={"source": "provider"})
        event = PaymentExpired if to == S.EXPIRED else PaymentCanceled
        emit(session, event(**payload(intent), reason=reason))
        return PaymentState.STOPPED
    return None


def _stop(session: Session, intent: PaymentIntent, reason: str) -> PaymentState:
    """Cancel at the provider first and only then here, so a payment taken meanwhile is not lost."""
    assert intent.provider_ref is not None
    try:
        stopped = gateway.get_provider(session).cancel_intent(intent.provider_ref, reason="canceled")
    except ProviderError:
        log.warning("could not stop payment %s at the provider", intent.provider_ref, exc_info=True)
        return PaymentState.PENDING
    if stopped:
        transition(session, intent, S.CANCELED, E.CANCELED, reason=reason)
        emit(session, PaymentCanceled(**payload(intent), reason=reason))
        return PaymentState.STOPPED
    record(session, intent, E.PROVIDER_TOO_LATE, reason="the provider could not stop it")
    state = _ask(session, intent)
    applied = _apply(session, intent, state, reason) if state is not None else None
    return applied or PaymentState.PENDING


def _settle_one(session: Session, intent: PaymentIntent, reason: str, give_up: bool) -> PaymentState:
    if intent.provider_ref is None:  # the provider never heard of it: nothing can be taken
        transition(session, intent, S.CANCELED, E.CANCELED, reason=reason)
        return PaymentState.STOPPED
    state = _ask(session, intent)
    if state is None:
        return PaymentState.PENDING
    applied = _apply(session, intent, state, reason)
    if applied is not None:
        return applied
    if state.status == "processing" and not give_up:
        return PaymentState.PENDING  # the buyer confirmed; the outcome is on its way
    return _stop(session, intent, reason)


def stop_or_capture(
    session: Session, reference_type: str, reference_id: str | int, reason: str, give_up: bool = False
) -> PaymentState:
    """Settle every open intent of the reference with the provider (see the module's docstring)."""
    rows = session.scalars(
        select(PaymentIntent)
        .where(
            PaymentIntent.reference_type == reference_type, PaymentIntent.reference_id == str(reference_id)
        )
        .order_by(PaymentIntent.id)
        .with_for_update()
    ).all()
    result = PaymentState.STOPPED
    for intent in rows:
        if intent.status in OPEN_STATUSES:
            outcome = _settle_one(session, intent, reason, give_up)
            if outcome == PaymentState.PENDING and result == PaymentState.STOPPED:
                result = PaymentState.PENDING
        if intent.status == S.SUCCEEDED and intent.captured_fen > intent.refunded_fen:
            result = PaymentState.CAPTURED
    session.flush()
    return result


def expire(session: Session, intent: PaymentIntent, reason: str) -> None:
    """Expire an open intent past its deadline, after asking the provider: money it took while the
    webhook was on its way is captured, not expired (and then refunded) here."""
    state = _ask(session, intent)
    if state is not None and _apply(session, intent, state, reason) is not None:
        return
    close(session, intent, S.EXPIRED, reason, None)

"""Payments: what the rest of the platform calls to take, charge and return buyers' money.

Payments sits above the ledger and below orders. It knows a payment's ``reference`` (for example
``("order", "42")``) only as opaque text, and tells the owner of the reference what happened through
outbox events written in the same transaction:

- ``PaymentSucceeded``, ``PaymentFailed``, ``PaymentExpired``, ``PaymentCanceled``: an intent closed.
- ``PaymentSucceededLate``: money arrived for an intent that had already expired, failed or been
  cancelled. It is booked like any capture; the owner of the reference refunds it, or keeps it when
  ``provider_paid_at`` (both success topics carry it: when the provider took the money) shows the
  buyer paid in time and only the news was late.
- ``PaymentRefunded``; ``PayoutPaid`` and ``PayoutFailed`` for withdrawals.

Every function flushes and never commits: the caller's request or job owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.ledger.schemas import Posting
from laotie.payments import errors, gateway, open_intent, reconcile, refunds
from laotie.payments.agreements import active_agreement

# Pay-after-use agreements are part of this module's public face (re-exported on purpose).
from laotie.payments.agreements import agreement_of as agreement_of
from laotie.payments.agreements import revoke_agreement as revoke_agreement
from laotie.payments.agreements import sign_agreement as sign_agreement
from laotie.payments.bulk_refunds import RefundIn as RefundIn
from laotie.payments.bulk_refunds import refund_many as refund_many
from laotie.payments.bulk_refunds import refundable_intents as refundable_intents

# Work done in the capturing transaction itself (re-exported on purpose).
from laotie.payments.captured import on_captured as on_captured

# Reading intents (re-exported on purpose).
from laotie.payments.intent_views import get_intent as get_intent
from laotie.payments.intent_views import get_intent_for as get_intent_for
from laotie.payments.intent_views import intent_events as intent_events
from laotie.payments.intent_views import intents_for as intents_for
from laotie.payments.intents import capture, close, fail, intent_out, load, transition
from laotie.payments.interfaces import BankAccount, ChargeStatus, PayoutResult, ProviderError
from laotie.payments.models import (
    OPEN_STATUSES,
    IntentEventKind,
    IntentKind,
    IntentStatus,
    PaymentIntent,
)

# A retried pay request gets back the intent its key made (re-exported on purpose).
from laotie.payments.open_intent import IntentIn as IntentIn
from laotie.payments.open_intent import intent_for_key as intent_for_key
from laotie.payments.open_intent import intents_for_keys as intents_for_keys

# Before giving up an unpaid reference, ask the provider (re-exported on purpose).
from laotie.payments.reconcile import PaymentState as PaymentState
from laotie.payments.reconcile import stop_or_capture as stop_or_capture

# The sandbox provider's cashier, which the demo's pages confirm at on the buyer's behalf.
from laotie.payments.sandbox import psp as sandbox_psp  # noqa: F401  (re-exported)
from laotie.payments.schemas import IntentOut, RefundOut
from laotie.settings import get_settings

S = IntentStatus
MAX_AMOUNT_FEN = 10_000_000_000  # one hundred million yuan: far above any single payment


def check_amount(amount_fen: object) -> int:
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= MAX_AMOUNT_FEN
    ):
        raise errors.INVALID_AMOUNT(amount_fen=repr(amount_fen))
    return amount_fen


def _check_text(name: str, value: str, max_length: int) -> None:
    if not value or len(value) > max_length:
        raise ValueError(f"{name} must be 1..{max_length} characters")


def _provider_call_key(intent_id: int) -> str:
    return f"laotie-intent-{intent_id}"


def _metadata(intent: IntentOut) -> dict[str, str]:
    return {"intent_id": str(intent.id), "reference": f"{intent.reference_type}:{intent.reference_id}"}


def create_intent(
    session: Session,
    buyer_id: int,
    amount_fen: int,
    reference_type: str,
    reference_id: str | int,
    idempotency_key: str,
    *,
    key_checked: bool = False,
) -> IntentOut:
    """A payment for ``amount_fen`` the buyer confirms at the provider's cashier (``next_action_url``
    with ``client_secret``). The same key and body return the same intent (``replayed``); the same
    key with another body is 409 IDEMPOTENCY_KEY_REUSED. ALREADY_PAID when the reference is paid,
    PAYMENT_IN_PROGRESS while another intent for it is open. It expires after
    ``payment_intent_ttl_seconds``. ``key_checked``: the caller has just found no intent for this
    key (``intent_for_key``), so it is not looked up again.

    Core statements only (``open_intent``): what the caller left pending in the session is flushed
    first, and the new intent is not loaded into the session."""
    check_amount(amount_fen)
    _check_text("reference_type", reference_type, 30)
    _check_text("reference_id", str(reference_id), 60)
    _check_text("idempotency_key", idempotency_key, 100)
    session.flush()
    intent, replayed = open_intent.open_intent(
        session,
        buyer_id=buyer_id,
        kind=IntentKind.PAY_NOW,
        amount_fen=amount_fen,
        reference=(reference_type, str(reference_id)),
        idempotency_key=idempotency_key,
        ttl=timedelta(seconds=get_settings().payment_intent_ttl_seconds),
        key_checked=key_checked,
    )
    if replayed:
        return intent
    try:
        created = gateway.get_provider(session).create_intent(
            amount_fen=amount_fen,
            idempotency_key=_provider_call_key(intent.id),
            expires_at=intent.expires_at,
            metadata=_metadata(intent),
        )
    except ProviderError as exc:
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc
    return open_intent.set_provider_answer(
        session, intent, created.provider_ref, created.client_secret, created.next_action_url
    )


def create_intents(session: Session, requests: list[IntentIn]) -> list[IntentOut | AppError | None]:
    """``create_intent`` for many at once (the pay route's batch): requests of distinct references
    and keys, whose keys the caller has just found unused. Each answer is the new intent, its
    PROVIDER_UNAVAILABLE, or None for a request to make alone with ``create_intent`` (anything
    unusual: a bad amount, a live intent for its reference, its key taken meanwhile)."""
    answers: list[IntentOut | AppError | None] = [None] * len(requests)
    valid = []
    for i, r in enumerate(requests):
        try:
            check_amount(r.amount_fen)
            _check_text("reference_type", r.reference[0], 30)
            _check_text("reference_id", r.reference[1], 60)
            _check_text("idempotency_key", r.idempotency_key, 100)
        except (AppError, ValueError):
            continue  # create_intent, alone, raises it
        valid.append(i)
    session.flush()
    ttl = timedelta(seconds=get_settings().payment_intent_ttl_seconds)
    opened = open_intent.open_many(session, [requests[i] for i in valid], ttl)
    provider = gateway.get_provider(session)
    made = [(i, intent) for i, intent in zip(valid, opened, strict=True) if intent is not None]
    # A provider may take many at once (the sandbox does: one INSERT); one that fails is asked again
    # one by one, so each request gets its own answer.
    many = getattr(provider, "create_intents", None)
    answered: list[Any] | None = None
    if many is not None and made:
        try:
            answered = many(
                [
                    (intent.amount_fen, _provider_call_key(intent.id), intent.expires_at, _metadata(intent))
                    for _, intent in made
                ]
            )
        except ProviderError:
            answered = None
    ready = []
    for n, (i, intent) in enumerate(made):
        if answered is not None:
            created = answered[n]
        else:
            try:
                created = provider.create_intent(
                    amount_fen=intent.amount_fen,
                    idempotency_key=_provider_call_key(intent.id),
                    expires_at=intent.expires_at,
                    metadata=_metadata(intent),
                )
            except ProviderError as exc:
                open_intent.forget(session, intent.id)
                answers[i] = errors.PROVIDER_UNAVAILABLE(reason=str(exc))
                continue
        answer = intent.model_copy(
            update={
                "provider_ref": created.provider_ref,
                "client_secret": created.client_secret,
                "next_action_url": created.next_action_url,
            }
        )
        answers[i] = answer
        ready.append(answer)
    open_intent.set_provider_answers(session, ready)
    return answers


def charge_pay_later(
    session: Session,
    buyer_id: int,
    amount_fen: int,
    reference_type: str,
    reference_id: str | int,
    idempotency_key: str,
) -> IntentOut:
    """先用后付: charge the buyer's saved agreement now, without interaction. The intent comes back
    ``succeeded`` or ``failed`` when the provider answers at once, else ``processing`` until its
    webhook. A capture credits PAY_LATER_RECEIVABLE (orders books the receivable when the goods go out
    on credit). Idempotent like ``create_intent``; NO_PAYMENT_AGREEMENT without an agreement."""
    check_amount(amount_fen)
    _check_text("reference_type", reference_type, 30)
    _check_text("reference_id", str(reference_id), 60)
    _check_text("idempotency_key", idempotency_key, 100)
    session.flush()
    reference = (reference_type, str(reference_id))
    previous = open_intent.replay(
        session, buyer_id, idempotency_key, IntentKind.PAY_LATER, amount_fen, reference
    )
    if previous is not None:
        return previous
    agreement = active_agreement(session, buyer_id)
    if agreement is None:
        raise errors.NO_PAYMENT_AGREEMENT(buyer_id=buyer_id)
    opened, replayed = open_intent.open_intent(
        session,
        buyer_id=buyer_id,
        kind=IntentKind.PAY_LATER,
        amount_fen=amount_fen,
        reference=reference,
        idempotency_key=idempotency_key,
        ttl=timedelta(seconds=get_settings().pay_later_charge_ttl_seconds),
        key_checked=True,
    )
    if replayed:
        return opened
    intent = load(session, opened.id)  # the state machine below works on the ORM object
    transition(session, intent, S.PROCESSING, IntentEventKind.CHARGE_SUBMITTED)
    try:
        result = gateway.get_provider(session).charge_agreement(
            agreement_ref=agreement.agreement_ref,
            amount_fen=amount_fen,
            idempotency_key=_provider_call_key(intent.id),
            metadata=_metadata(opened),
        )
    except ProviderError as exc:
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc
    intent.provider_ref = result.provider_ref
    session.flush()
    if result.status == ChargeStatus.SUCCEEDED:
        capture(session, intent, None, "charge_answer")
    elif result.status == ChargeStatus.DECLINED:
        fail(session, intent, result.decline_reason or "declined", None)
    return intent_out(intent)


def cancel_intent(session: Session, intent_id: int, reason: str, actor_id: int | None = None) -> IntentOut:
    """Stop an unpaid intent (e.g. its order was cancelled); emits PaymentCanceled. Closed intents
    are returned as they are; a paid one is ALREADY_PAID (refund it instead)."""
    intent = load(session, intent_id, for_update=True)
    if intent.status == S.SUCCEEDED:
        raise errors.ALREADY_PAID(intent_id=intent_id)
    if intent.status in OPEN_STATUSES:
        close(session, intent, S.CANCELED, reason, actor_id)
    return intent_out(intent)


def expire_stale_intents(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Expire open intents past their deadline (a periodic job calls this); emits PaymentExpired for
    each and returns their ids. Safe to run in several processes at once on PostgreSQL."""
    query = (
        select(PaymentIntent)
        .where(PaymentIntent.status.in_(OPEN_STATUSES), PaymentIntent.expires_at <= (now or clock.now()))
        .order_by(PaymentIntent.id)
        .limit(limit)
    )
    bind = session.get_bind()
    query = query.with_for_update(skip_locked=True) if bind.dialect.name != "sqlite" else query
    expired = []
    for intent in session.scalars(query).all():
        reconcile.expire(session, intent, "not paid in time")
        if intent.status == S.EXPIRED:
            expired.append(intent.id)
    return expired


def refund(
    session: Session,
    intent_id: int,
    amount_fen: int,
    idempotency_key: str,
    reason: str,
    *,
    source: Sequence[Posting] | None = None,
    actor_id: int | None = None,
) -> RefundOut:
    """Return ``amount_fen`` of a captured payment to the buyer. ``source`` are the debit legs the
    money comes from (positive amounts summing to ``amount_fen``); by default the refund reverses the
    capture (PLATFORM_CLEARING, or PAY_LATER_RECEIVABLE for pay-after-use): right before settlement.
    After settlement the caller names the shop's and the fee's accounts. The credit is always
    PSP_CASH. Same key and body: same refund; over what is left: REFUND_EXCEEDS_PAID."""
    check_amount(amount_fen)
    _check_text("idempotency_key", idempotency_key, 100)
    return refunds.refund(session, intent_id, amount_fen, idempotency_key, reason, source, actor_id)


def send_payout(
    session: Session, amount_fen: int, account: BankAccount, idempotency_key: str, metadata: Mapping[str, str]
) -> PayoutResult:
    """Send a withdrawal to a bank account. The result comes later as PayoutPaid or PayoutFailed
    (payload: provider_payout_ref, amount_fen, failure_reason, metadata). The caller books the ledger."""
    check_amount(amount_fen)
    try:
        return gateway.get_payout_provider(session).send_payout(
            amount_fen=amount_fen, account=account, idempotency_key=idempotency_key, metadata=metadata
        )
    except ProviderError as exc:
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc


def send_buyer_transfer(
    session: Session, buyer_id: int, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
) -> PayoutResult:
    """Send money the platform owes a buyer (not a refund of a payment: return-shipping compensation)
    to the buyer's own account at the provider, the transfer real PSPs offer for this (企业付款到零钱),
    on the payout rail: the same deduplication by key and the same PayoutPaid / PayoutFailed results.
    The caller books the ledger."""
    account = BankAccount(
        holder_name=f"buyer {buyer_id}", account_number=f"buyer-{buyer_id}", bank_name="买家支付账户"
    )
    return send_payout(session, amount_fen, account, idempotency_key, metadata)

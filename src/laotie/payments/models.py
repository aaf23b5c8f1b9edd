"""The platform's side of payments: intents, their trail, refunds, agreements and webhook receipts.

The sandbox PSP keeps its own tables (``laotie.payments.sandbox.models``); nothing here reads them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class IntentStatus(enum.StrEnum):
    REQUIRES_CONFIRMATION = "requires_confirmation"  # waiting for the buyer to pay
    PROCESSING = "processing"  # the provider is working on it
    SUCCEEDED = "succeeded"  # money captured
    FAILED = "failed"  # declined
    EXPIRED = "expired"  # not paid in time
    CANCELED = "canceled"  # stopped by the platform (e.g. the order was cancelled)


OPEN_STATUSES = (IntentStatus.REQUIRES_CONFIRMATION, IntentStatus.PROCESSING)


class IntentEventKind(enum.StrEnum):
    """What an intent's trail records (``payment_intent_event.kind``)."""

    CREATED = "created"
    CHARGE_SUBMITTED = "charge_submitted"  # a pay-after-use charge sent on the saved agreement
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    LATE_SUCCESS = "late_success"  # captured after the intent had closed
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    PROVIDER_TOO_LATE = "provider_too_late"  # the provider could not stop it
    REFUNDED = "refunded"
    WEBHOOK_IGNORED = "webhook_ignored"


class IntentKind(enum.StrEnum):
    PAY_NOW = "pay_now"  # the buyer confirms at the cashier
    PAY_LATER = "pay_later"  # 先用后付: charged without interaction on a saved agreement


class RefundState(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"


class WebhookOutcome(enum.StrEnum):
    APPLIED = "applied"  # moved an intent
    DUPLICATE = "duplicate"  # the same provider event again
    IGNORED = "ignored"  # stale or out of order: nothing to do
    MISMATCH = "mismatch"  # the amount differs from the intent's: needs a human
    REJECTED = "rejected"  # bad signature or stale timestamp


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native enum types) so adding a state is a code change only.
    return Enum(kind, name=name, native_enum=False, length=30, values_callable=lambda k: [m.value for m in k])


class PaymentIntent(Base):
    __tablename__ = "payments_intent"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_payments_intent_reference", "reference_type", "reference_id"),
        Index("ix_payments_intent_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    kind: Mapped[IntentKind] = mapped_column(_enum(IntentKind, "payments_intent_kind"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference_type: Mapped[str] = mapped_column(String(30))
    reference_id: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[IntentStatus] = mapped_column(_enum(IntentStatus, "payments_intent_status"))
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_secret: Mapped[str] = mapped_column(String(100), default="")
    next_action_url: Mapped[str] = mapped_column(String(200), default="")
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    captured_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Captured after it had already expired, been cancelled or failed: the money is kept in the books
    # and announced as PaymentSucceededLate so that whoever owns the reference refunds it.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentIntentEvent(Base):
    """Append-only trail of an intent: who or which provider event changed what, when and why."""

    __tablename__ = "payments_intent_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("payments_intent.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    provider_event_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentRefund(Base):
    __tablename__ = "payments_refund"
    __table_args__ = (UniqueConstraint("intent_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("payments_intent.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200), default="")
    # The debit legs the caller chose (kind, owner, fen), kept to recognise a replay with another body.
    source: Mapped[list[Any]] = mapped_column(JSON, default=list)
    state: Mapped[RefundState] = mapped_column(_enum(RefundState, "payments_refund_state"))
    provider_refund_ref: Mapped[str] = mapped_column(String(64), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentAgreement(Base):
    """A buyer's standing authorisation to be charged without interaction (先用后付 免密支付)."""

    __tablename__ = "payments_agreement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    agreement_ref: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentWebhookReceipt(Base):
    """Every webhook that reached us, accepted or not. A provider event is applied at most once: the
    receipt commits in the same transaction as the change it caused."""

    __tablename__ = "payments_webhook_receipt"
    __table_args__ = (UniqueConstraint("provider", "provider_event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    # Only set when the signature holds: an unverified id must not shadow the real event.
    provider_event_id: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(40), default="")
    provider_ref: Mapped[str] = mapped_column(String(64), default="")
    signature_ok: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[WebhookOutcome] = mapped_column(_enum(WebhookOutcome, "payments_webhook_outcome"))
    reason: Mapped[str] = mapped_column(Text, default="")
    signature_header: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    times_received: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime)

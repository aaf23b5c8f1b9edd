"""The sandbox PSP's own books, as if they lived on another company's servers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class ChargeStatus(enum.StrEnum):
    REQUIRES_CONFIRMATION = "requires_confirmation"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


class SandboxCharge(Base):
    """A payment at the sandbox: an intent the buyer confirms, or a charge on a saved agreement."""

    __tablename__ = "payments_sandbox_charge"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # intent | agreement_charge
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(30))
    client_secret: Mapped[str] = mapped_column(String(100), default="")
    payment_method: Mapped[str] = mapped_column(String(40), default="")
    agreement_ref: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[str] = mapped_column(String(100), default="")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxRefund(Base):
    __tablename__ = "payments_sandbox_refund"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_refund_ref: Mapped[str] = mapped_column(String(64), unique=True)
    charge_ref: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    failure_reason: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxAgreement(Base):
    """A buyer's saved agreement. ``outcome`` is the test setting that decides its charges:
    ok | decline (answered pending, settled by webhook), instant_ok | instant_decline (answered at
    once), timeout (never settled)."""

    __tablename__ = "payments_sandbox_agreement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agreement_ref: Mapped[str] = mapped_column(String(64), unique=True)
    customer_ref: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxPayout(Base):
    __tablename__ = "payments_sandbox_payout"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_payout_ref: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    holder_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(40))
    bank_name: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    failure_reason: Mapped[str] = mapped_column(String(100), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxWebhook(Base):
    """The sandbox's outbox of notifications to the platform. A duplicate is a second copy of the same
    event (same ``event_id``), as real PSPs send when an acknowledgement gets lost."""

    __tablename__ = "payments_sandbox_webhook"
    __table_args__ = (UniqueConstraint("event_id", "copy"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    copy: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(40))
    object_ref: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")

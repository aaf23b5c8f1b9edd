"""Payout accounts, withdrawals and their trail, for the two kinds of owner that withdraw money: a
shop (its SHOP_AVAILABLE balance) and a creator (达人: its COMMISSION_AVAILABLE balance). Each row
names exactly one of ``shop_id`` and ``creator_id`` (a check constraint). Balances themselves live in
the ledger."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class WithdrawalStatus(enum.StrEnum):
    REQUESTED = "requested"  # money booked out of the shop's available balance; payout not yet sent
    PROCESSING = "processing"  # the payout provider accepted it; the bank's answer comes by webhook
    PAID = "paid"
    FAILED = "failed"  # the bank refused it; the money went back to the shop's available balance


IN_FLIGHT = (WithdrawalStatus.REQUESTED, WithdrawalStatus.PROCESSING)


class SettlementEventKind(enum.StrEnum):
    """What the settlement trail records (``settlement_event.kind``)."""

    PAYOUT_ACCOUNT_SET = "payout_account_set"
    REQUESTED = "requested"
    PAYOUT_SENT = "payout_sent"
    PAID = "paid"
    FAILED = "failed"
    PAYOUT_RESULT_IGNORED = "payout_result_ignored"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native enum types) so adding a state is a code change only.
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


def _one_owner() -> CheckConstraint:
    return CheckConstraint("(shop_id IS NULL) <> (creator_id IS NULL)", name="one_owner")


class PayoutAccount(Base):
    """The bank account a shop's (or a creator's) withdrawals go to; one per owner, set by the owner."""

    __tablename__ = "settlement_payout_account"
    __table_args__ = (_one_owner(),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops_shop.id"), unique=True)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"), unique=True)
    holder_name: Mapped[str] = mapped_column(String(100))
    bank_name: Mapped[str] = mapped_column(String(60))
    # The full number is needed to pay out and never leaves the server; callers see the masked one.
    account_number: Mapped[str] = mapped_column(String(40))
    account_masked: Mapped[str] = mapped_column(String(40))
    updated_by: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Withdrawal(Base):
    __tablename__ = "settlement_withdrawal"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        UniqueConstraint("creator_id", "idempotency_key"),
        Index("ix_settlement_withdrawal_shop_id_created_at", "shop_id", "created_at"),
        Index("ix_settlement_withdrawal_creator_id_created_at", "creator_id", "created_at"),
        Index("ix_settlement_withdrawal_status_created_at", "status", "created_at"),
        _one_owner(),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops_shop.id"))
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[WithdrawalStatus] = mapped_column(_enum(WithdrawalStatus, "settlement_withdrawal_status"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    # Where the money goes, copied at request time: changing the payout account later changes nothing.
    holder_name: Mapped[str] = mapped_column(String(100))
    bank_name: Mapped[str] = mapped_column(String(60))
    account_number: Mapped[str] = mapped_column(String(40))
    account_masked: Mapped[str] = mapped_column(String(40))
    provider_payout_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SettlementEvent(Base):
    """Append-only trail of an owner's settlement: payout account changes and each withdrawal's moves."""

    __tablename__ = "settlement_event"
    __table_args__ = (_one_owner(),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_withdrawal.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

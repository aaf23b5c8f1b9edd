from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class LedgerAccount(Base):
    """One account of the chart: a kind, and for per-party kinds the shop or creator it belongs to."""

    __tablename__ = "ledger_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. "shop_pending:12"
    kind: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    # Sum of this account's entries (debits positive), kept with every posting; `check` proves it.
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerTransaction(Base):
    """One balanced money movement. Never changed or deleted: a mistake is undone by a reversal."""

    __tablename__ = "ledger_transaction"
    __table_args__ = (Index("ix_ledger_transaction_reference", "reference_type", "reference_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    reference_type: Mapped[str] = mapped_column(String(30))
    reference_id: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    # Signed fen: debit positive, credit negative. A transaction's entries sum to zero.
    amount_fen: Mapped[int] = mapped_column(BigInteger)


def _immutable(mapper: Mapper[object], connection: object, target: object) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are immutable; post a reversal instead")


for _model in (LedgerTransaction, LedgerEntry):
    event.listen(_model, "before_update", _immutable)
    event.listen(_model, "before_delete", _immutable)

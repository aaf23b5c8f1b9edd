"""What the settlement domain emits: a withdrawal was requested, and each status it moves into.
A withdrawal belongs to a shop or to a creator: one of ``shop_id`` and ``creator_id`` is set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class WithdrawalRequested(DomainEvent):
    topic: ClassVar[str] = "WithdrawalRequested"
    withdrawal_id: int
    shop_id: int | None
    creator_id: int | None
    amount_fen: int


@dataclass(frozen=True)
class WithdrawalMoved(DomainEvent):
    withdrawal_id: int
    shop_id: int | None
    creator_id: int | None
    amount_fen: int
    failure_reason: str | None


@dataclass(frozen=True)
class WithdrawalProcessing(WithdrawalMoved):
    topic: ClassVar[str] = "WithdrawalProcessing"


@dataclass(frozen=True)
class WithdrawalPaid(WithdrawalMoved):
    topic: ClassVar[str] = "WithdrawalPaid"


@dataclass(frozen=True)
class WithdrawalFailed(WithdrawalMoved):
    topic: ClassVar[str] = "WithdrawalFailed"

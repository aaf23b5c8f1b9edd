"""What the shops domain emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from laotie.core.events import DomainEvent, stored_as


@dataclass(frozen=True)
class ShopStatusChanged(DomainEvent):
    """A shop moved between statuses (``shops.state.transition``); ``kind`` names the action."""

    topic: ClassVar[str] = "ShopStatusChanged"
    shop_id: int
    from_: str = field(metadata=stored_as("from"))
    to: str
    kind: str
    actor_id: int | None
    reason: str


@dataclass(frozen=True)
class _WithdrawalFreezeEvent(DomainEvent):
    shop_id: int
    actor_id: int
    reason: str


@dataclass(frozen=True)
class ShopWithdrawalsFrozen(_WithdrawalFreezeEvent):
    topic: ClassVar[str] = "ShopWithdrawalsFrozen"


@dataclass(frozen=True)
class ShopWithdrawalsUnfrozen(_WithdrawalFreezeEvent):
    topic: ClassVar[str] = "ShopWithdrawalsUnfrozen"

"""What the after-sales domain emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class CaseStatusChanged(DomainEvent):
    """A case opened (``from_status`` None) or changed state; ``party`` moved it. ``lines`` are
    ``{"line_id", "quantity"}``; ``opened_at`` and ``at`` are ISO 8601."""

    topic: ClassVar[str] = "aftersales.case_status_changed"
    case_id: int
    order_id: int
    shop_id: int
    buyer_id: int
    kind: str
    reason: str
    from_status: str | None
    to_status: str
    party: str
    lines: list[dict[str, Any]]
    opened_at: str
    at: str


@dataclass(frozen=True)
class DisputeDecided(DomainEvent):
    """Staff decided a case the buyer escalated (平台介入)."""

    topic: ClassVar[str] = "DisputeDecided"
    case_id: int
    order_id: int
    shop_id: int
    buyer_id: int
    kind: str
    decision: str
    fault_party: str
    amount_fen: int
    decided_by: int


@dataclass(frozen=True)
class BuyerCreditPayoutRequested(DomainEvent):
    """Compensation owed to the buyer (return shipping, 假一赔三) is to be paid out."""

    topic: ClassVar[str] = "BuyerCreditPayoutRequested"
    payout_id: int
    case_id: int

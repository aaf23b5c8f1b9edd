from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from laotie.aftersales.models import CaseKind, CaseReason, CaseStatus
from laotie.core.ids import Id
from laotie.core.numbers import StrictInt

# Reasons the merchant is at fault for: it pays the return shipping back.
MERCHANT_FAULT = frozenset({CaseReason.QUALITY, CaseReason.WRONG_ITEM, CaseReason.DAMAGED})
OPEN = frozenset(
    {
        CaseStatus.REQUESTED,
        CaseStatus.APPROVED,
        CaseStatus.RETURNING,
        CaseStatus.RECEIVED,
        CaseStatus.REJECTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.DISPUTED,
    }
)


class Decision(enum.StrEnum):
    REFUND = "refund"  # the amount the case asked for
    PARTIAL_REFUND = "partial_refund"  # an amount staff set
    RETURN = "return"  # the buyer sends the goods back, then is refunded
    REJECT = "reject"


class FaultParty(enum.StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    NONE = "none"


class CaseLineIn(BaseModel):
    line_id: Id
    quantity: StrictInt = Field(ge=1, le=999)


class CaseIn(BaseModel):
    order_id: Id
    kind: CaseKind
    reason: CaseReason
    lines: list[CaseLineIn] = Field(
        default_factory=list, max_length=50, description="empty: every line of the order"
    )
    amount_fen: StrictInt | None = Field(
        default=None,
        ge=1,
        le=10_000_000_000,
        description=(
            "refund-only after shipment: ask for less than the lines. Before shipment a refund-only "
            "request refunds the whole order: an amount other than the whole, or lines that do not "
            "cover it, is refused with AFTERSALES_WHOLE_ORDER_BEFORE_SHIPMENT (422)"
        ),
    )
    description: str = Field(default="", max_length=500)
    evidence_ids: list[Id] = Field(
        default_factory=list, max_length=9, description="photos uploaded first (POST /aftersales/evidence)"
    )


class ShipBackIn(BaseModel):
    carrier: str = Field(min_length=1, max_length=40, examples=["中通快递"])
    tracking_no: str = Field(min_length=4, max_length=60, pattern=r"^[A-Za-z0-9-]+$")
    shipping_fen: StrictInt = Field(default=0, ge=0, le=100_000, description="what the buyer paid to send it")


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=500)


class ReceiveIn(BaseModel):
    damaged: bool = Field(default=False, description="the return arrived damaged: it is not restocked")


class DecisionIn(BaseModel):
    decision: Decision
    fault_party: FaultParty = FaultParty.NONE
    amount_fen: StrictInt | None = Field(
        default=None, ge=1, le=10_000_000_000, description="partial_refund only"
    )
    note: str = Field(default="", max_length=500)


class CaseEventOut(BaseModel):
    id: int
    actor_id: int | None
    party: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str
    data: dict[str, Any]
    at: datetime


class EvidenceOut(BaseModel):
    id: int
    case_id: int | None
    party: str
    uploaded_by: int
    content_type: str
    size_bytes: int
    note: str
    uploaded_at: datetime


class CaseOut(BaseModel):
    id: int
    order_id: int
    buyer_id: int
    shop_id: int
    kind: CaseKind
    reason: CaseReason
    status: CaseStatus
    description: str
    lines: list[dict[str, Any]]
    amount_fen: int
    refunded_fen: int
    shipping_comp_fen: int
    return_carrier: str
    return_tracking_no: str
    return_shipping_fen: int
    deadline_at: datetime | None
    escalated_by: str
    decision: str
    fault_party: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    events: list[CaseEventOut] = []
    evidence: list[EvidenceOut] = []


class OrderTrailItem(BaseModel):
    kind: str
    from_status: str | None
    to_status: str | None
    actor_id: int | None
    reason: str
    at: datetime


class DisputeView(BaseModel):
    """What governance staff see: the case with both sides' evidence and the order's own trail."""

    case: CaseOut
    order_status: str
    order_payable_fen: int
    order_refunded_fen: int
    order_trail: list[OrderTrailItem]

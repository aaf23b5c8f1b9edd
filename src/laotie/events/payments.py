"""What the payments domain emits: what became of a payment intent, a refund, a payout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class IntentEvent(DomainEvent):
    """What every intent event carries: the intent and what it pays for (``reference_type`` and
    ``reference_id``: a checkout, an order charged after use, ...)."""

    intent_id: int
    buyer_id: int
    reference_type: str
    reference_id: str  # a checkout's or an order's id, as text
    amount_fen: int
    kind: str


@dataclass(frozen=True)
class _Captured(IntentEvent):
    provider_ref: str | None
    succeeded_at: str  # ISO 8601: when the platform learned it
    provider_paid_at: str  # when the provider took the money


@dataclass(frozen=True)
class PaymentSucceeded(_Captured):
    topic: ClassVar[str] = "PaymentSucceeded"


@dataclass(frozen=True)
class PaymentSucceededLate(_Captured):
    """Captured after the intent had closed (expired, canceled, failed: ``previous_status``)."""

    topic: ClassVar[str] = "PaymentSucceededLate"
    previous_status: str


@dataclass(frozen=True)
class _Stopped(IntentEvent):
    reason: str


@dataclass(frozen=True)
class PaymentFailed(_Stopped):
    topic: ClassVar[str] = "PaymentFailed"


@dataclass(frozen=True)
class PaymentExpired(_Stopped):
    topic: ClassVar[str] = "PaymentExpired"


@dataclass(frozen=True)
class PaymentCanceled(_Stopped):
    topic: ClassVar[str] = "PaymentCanceled"


@dataclass(frozen=True)
class PaymentRefunded(IntentEvent):
    topic: ClassVar[str] = "PaymentRefunded"
    refund_id: int
    refund_fen: int
    refunded_fen: int
    fully_refunded: bool
    reason: str


@dataclass(frozen=True)
class _PayoutEvent(DomainEvent):
    """The provider's word on a payout; ``metadata`` is what the requester attached to it."""

    provider_payout_ref: str
    amount_fen: int
    failure_reason: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class PayoutPaid(_PayoutEvent):
    topic: ClassVar[str] = "PayoutPaid"


@dataclass(frozen=True)
class PayoutFailed(_PayoutEvent):
    topic: ClassVar[str] = "PayoutFailed"

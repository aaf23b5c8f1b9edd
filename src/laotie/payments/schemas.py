from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from laotie.payments.interfaces import BankAccount, PayoutResult, PayoutStatus
from laotie.payments.models import IntentKind, IntentStatus, RefundState, WebhookOutcome

# Types other domains need to call payments.service (they may import schemas, not interfaces).
__all__ = [
    "AgreementOut",
    "BankAccount",
    "IntentEventOut",
    "IntentKind",
    "IntentOut",
    "IntentStatus",
    "PayoutResult",
    "PayoutStatus",
    "RefundOut",
    "RefundState",
    "WebhookAck",
    "WebhookBatchAck",
    "WebhookBatchItemAck",
    "WebhookOutcome",
]


class IntentOut(BaseModel):
    id: int
    buyer_id: int
    kind: IntentKind
    amount_fen: int
    reference_type: str
    reference_id: str
    status: IntentStatus
    provider: str
    provider_ref: str | None
    # What the buyer's app needs to confirm at the provider's cashier.
    client_secret: str
    next_action_url: str
    failure_reason: str
    captured_fen: int
    refunded_fen: int
    late: bool
    created_at: datetime
    expires_at: datetime
    succeeded_at: datetime | None
    # True when an idempotent call found the intent an earlier call with the same key created.
    replayed: bool = False


class IntentEventOut(BaseModel):
    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    actor_id: int | None
    provider_event_id: str | None
    reason: str
    data: dict[str, Any]
    at: datetime


class RefundOut(BaseModel):
    id: int
    intent_id: int
    amount_fen: int
    reason: str
    state: RefundState
    provider_refund_ref: str
    created_at: datetime
    replayed: bool = False


class AgreementOut(BaseModel):
    id: int
    buyer_id: int
    provider: str
    agreement_ref: str
    created_at: datetime
    active: bool


class WebhookAck(BaseModel):
    received: bool = True
    outcome: WebhookOutcome


class WebhookBatchItemAck(BaseModel):
    """One event of a batch delivery: what the single endpoint would have answered for it alone.
    2xx: kept (``outcome``), do not send again; 400 ``INVALID_SIGNATURE``: refused for good; any
    other status: not applied, send it again later (``error`` says why)."""

    id: str  # the event's id ("" when the item could not be read)
    status: int
    outcome: WebhookOutcome | None = None
    error: str | None = None  # the error code when not applied


class WebhookBatchAck(BaseModel):
    received: bool = True
    results: list[WebhookBatchItemAck]  # one per event, in the order sent

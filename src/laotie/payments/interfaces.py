"""What the platform needs from a payment service provider (PSP), whichever one it is.

The platform never talks to a PSP except through these protocols, so the built-in sandbox and a real
provider (WeChat Pay, Alipay, a bank) are interchangeable. Every call that moves money takes an
idempotency key, because the network between us and a PSP loses answers: a retried call with the same
key must return the first result and move nothing twice. Outcomes that a PSP learns later (a buyer's
payment confirmed, a payout reaching a bank) arrive as signed webhooks, which ``parse_webhook`` verifies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class InvalidSignature(Exception):
    """A webhook whose signature, timestamp or format does not check out; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderError(Exception):
    """The provider could not be reached or refused the request for a reason that is not the buyer's."""


@dataclass(frozen=True)
class IntentCreated:
    """A payment the provider is ready to take: what the client needs to confirm it."""

    provider_ref: str
    client_secret: str
    # Where the buyer's app sends the confirmation (the provider's cashier page or API).
    next_action_url: str


class ChargeStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PENDING = "pending"  # the outcome will come by webhook


@dataclass(frozen=True)
class ChargeResult:
    provider_ref: str
    status: ChargeStatus
    decline_reason: str = ""


class RefundStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"  # accepted; the PSP has already taken it out of our balance
    FAILED = "failed"


@dataclass(frozen=True)
class RefundResult:
    provider_refund_ref: str
    status: RefundStatus
    amount_fen: int
    failure_reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified notification. ``event_id`` is the provider's and identifies duplicates."""

    event_id: str
    type: str  # payment.processing | payment.succeeded | payment.failed | payout.paid | payout.failed
    provider_ref: str
    amount_fen: int
    created_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderIntent:
    """What the provider knows of a payment now (asked, not waited for by webhook)."""

    provider_ref: str
    # requires_confirmation | processing | succeeded | failed | canceled | expired
    status: str
    amount_fen: int
    # When the buyer's money was taken, by the provider's clock (succeeded only).
    succeeded_at: datetime | None = None
    decline_reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def create_intent(
        self, *, amount_fen: int, idempotency_key: str, expires_at: datetime, metadata: Mapping[str, str]
    ) -> IntentCreated:
        """Prepare a payment the buyer confirms interactively; it lapses at ``expires_at``."""
        ...

    def cancel_intent(self, provider_ref: str, *, reason: str) -> bool:
        """Stop an unconfirmed payment. False when it is too late (it already succeeded or failed):
        then its outcome still arrives by webhook."""
        ...

    def retrieve_intent(self, provider_ref: str) -> ProviderIntent:
        """Ask where a payment stands now (the unpaid-order timeout asks before it cancels, since the
        webhook may be late); raise ``ProviderError`` when the provider cannot be reached."""
        ...

    def create_agreement(self, *, customer_ref: str) -> str:
        """Sign the buyer up for charges without interaction (先用后付 / 免密支付); returns its reference."""
        ...

    def charge_agreement(
        self,
        *,
        agreement_ref: str,
        amount_fen: int,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> ChargeResult:
        """Charge a saved agreement now. It may succeed, decline, or stay pending until a webhook."""
        ...

    def refund(
        self, *, provider_ref: str, amount_fen: int, idempotency_key: str, reason: str
    ) -> RefundResult:
        """Return part or all of a captured payment. The same key returns the first refund."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature over the raw body and parse it; raise ``InvalidSignature`` otherwise."""
        ...


@dataclass(frozen=True)
class BankAccount:
    holder_name: str
    account_number: str
    bank_name: str


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True)
class PayoutResult:
    provider_payout_ref: str
    status: PayoutStatus
    failure_reason: str = ""


class PayoutProvider(Protocol):
    """Sends merchants' withdrawals to their bank accounts. Results come later as ``payout.paid`` or
    ``payout.failed`` webhooks (through the same ``parse_webhook``)."""

    name: str

    def send_payout(
        self, *, amount_fen: int, account: BankAccount, idempotency_key: str, metadata: Mapping[str, str]
    ) -> PayoutResult: ...

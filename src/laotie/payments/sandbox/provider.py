"""The platform's client for the sandbox PSP, implementing ``PaymentProvider`` and ``PayoutProvider``.

It works in the caller's session: the sandbox shares the platform's database, and a second transaction
would queue behind the first for SQLite's write lock. So the sandbox's records commit or roll back with
the platform's; everything it tells the platform afterwards still travels by signed webhook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.payments.interfaces import (
    BankAccount,
    ChargeResult,
    ChargeStatus,
    IntentCreated,
    InvalidSignature,
    PayoutResult,
    PayoutStatus,
    ProviderIntent,
    RefundResult,
    RefundStatus,
    WebhookEvent,
)
from laotie.payments.sandbox import psp, refunds, signature
from laotie.payments.sandbox.webhook_doc import MAX_BATCH_EVENTS
from laotie.settings import get_settings


class SandboxProvider:
    name = "sandbox"

    def __init__(self, session: Session) -> None:
        self.session = session

    def create_intent(
        self, *, amount_fen: int, idempotency_key: str, expires_at: datetime, metadata: Mapping[str, str]
    ) -> IntentCreated:
        charge = psp.create_charge(self.session, amount_fen, idempotency_key, expires_at, metadata)
        return IntentCreated(
            provider_ref=charge.provider_ref,
            client_secret=charge.client_secret,
            next_action_url=psp.CONFIRM_PATH.format(ref=charge.provider_ref),
        )

    def create_intents(
        self, requests: list[tuple[int, str, datetime, Mapping[str, str]]]
    ) -> list[IntentCreated]:
        """``create_intent`` for many (amount, key, expiry, metadata) at once, answered in order: one
        INSERT for all (``payments.service.create_intents`` uses it when a provider offers it)."""
        charges = psp.create_charges(self.session, [psp.ChargeIn(*r) for r in requests])
        return [
            IntentCreated(
                provider_ref=c.provider_ref,
                client_secret=c.client_secret,
                next_action_url=psp.CONFIRM_PATH.format(ref=c.provider_ref),
            )
            for c in charges
        ]

    def cancel_intent(self, provider_ref: str, *, reason: str) -> bool:
        return psp.cancel(self.session, provider_ref, reason)

    def retrieve_intent(self, provider_ref: str) -> ProviderIntent:
        charge = psp.lookup(self.session, provider_ref)
        return ProviderIntent(
            provider_ref=charge.provider_ref,
            status=charge.status,
            amount_fen=charge.amount_fen,
            succeeded_at=charge.updated_at if charge.status == "succeeded" else None,
            decline_reason=charge.decline_reason,
        )

    def create_agreement(self, *, customer_ref: str) -> str:
        return psp.create_agreement(self.session, customer_ref).agreement_ref

    def charge_agreement(
        self, *, agreement_ref: str, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> ChargeResult:
        charge, answer = psp.charge_agreement(
            self.session, agreement_ref, amount_fen, idempotency_key, metadata
        )
        return ChargeResult(charge.provider_ref, ChargeStatus(answer), charge.decline_reason)

    def refund(
        self, *, provider_ref: str, amount_fen: int, idempotency_key: str, reason: str
    ) -> RefundResult:
        row = refunds.refund(self.session, provider_ref, amount_fen, idempotency_key, reason)
        return RefundResult(
            row.provider_refund_ref, RefundStatus(row.status), row.amount_fen, row.failure_reason
        )

    def refund_many(self, requests: list[tuple[str, int, str, str]]) -> list[RefundResult]:
        """Many refunds in one call, (provider ref, amount, key, reason) each, answered in order."""
        rows = refunds.refund_many(self.session, requests)
        return [
            RefundResult(
                row.provider_refund_ref, RefundStatus(row.status), row.amount_fen, row.failure_reason
            )
            for row in rows
        ]

    def send_payout(
        self, *, amount_fen: int, account: BankAccount, idempotency_key: str, metadata: Mapping[str, str]
    ) -> PayoutResult:
        payout = psp.send_payout(self.session, amount_fen, account, idempotency_key, metadata)
        # Whatever the sandbox's bank decided is only told by webhook.
        return PayoutResult(payout.provider_payout_ref, PayoutStatus.PENDING)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        _verify(body, headers)
        try:
            return _event(json.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            # Signed but unreadable: the provider's fault, so refuse it like a forged one.
            raise InvalidSignature(f"signed body is not a valid event: {exc!r}") from None

    def parse_webhook_batch(
        self, body: bytes, headers: Mapping[str, str]
    ) -> list[tuple[bytes, WebhookEvent | InvalidSignature]]:
        """A batch delivery (``{"events": [...]}`` under one signature, ``webhook_doc``): the
        signature is checked once for the whole body; raises ``InvalidSignature`` for it or for a body
        that is no batch. Each event is then read on its own, with its own bytes (what its receipt
        keeps): one that is unreadable is refused alone, the others still count."""
        _verify(body, headers)
        try:
            items = json.loads(body)["events"]
            if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH_EVENTS:
                raise ValueError(f"events must be a list of 1 to {MAX_BATCH_EVENTS}")
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidSignature(f"signed body is not a valid batch: {exc!r}") from None
        out: list[tuple[bytes, WebhookEvent | InvalidSignature]] = []
        for item in items:
            raw = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
            try:
                out.append((raw, _event(item)))
            except (ValueError, KeyError, TypeError) as exc:
                out.append((raw, InvalidSignature(f"signed batch item is not a valid event: {exc!r}")))
        return out


def _verify(body: bytes, headers: Mapping[str, str]) -> None:
    settings = get_settings()
    signature.verify(
        settings.payment_webhook_secret,
        _header(headers, signature.HEADER),
        body,
        clock.now(),
        settings.payment_webhook_tolerance_seconds,
    )


def _event(payload: Any) -> WebhookEvent:
    data = payload["data"]
    return WebhookEvent(
        event_id=str(payload["id"]),
        type=str(payload["type"]),
        provider_ref=str(data["provider_ref"]),
        amount_fen=int(data["amount_fen"]),
        created_at=datetime.fromtimestamp(int(payload["created"]), UTC),
        data=data,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None

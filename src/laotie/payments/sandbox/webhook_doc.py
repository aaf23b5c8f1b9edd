"""What an integrator needs to send (or check) a sandbox webhook, for the OpenAPI document.

The route reads the raw body (the signature covers the exact bytes), so FastAPI cannot infer any of
this; it is declared here and attached to ``POST /api/v1/payments/webhooks/sandbox``. Kept next to
``signature.py`` and ``psp.queue_webhook``, which it describes. docs/payments-webhooks.md says the same
in prose, with an example.
"""

from __future__ import annotations

from typing import Any

from laotie.payments.sandbox.signature import HEADER

DESCRIPTION = f"""Notifications from the sandbox PSP, authenticated by their signature rather than a user.
Answers 2xx only once the change is committed, so the PSP retries anything we lost.

**Signature.** Header `{HEADER}: t=<unix seconds>,v1=<hex>` where `<hex>` is
HMAC-SHA256, keyed with the platform's `LAOTIE_PAYMENT_WEBHOOK_SECRET`, over the bytes
`"<t>." + body` (the body exactly as sent). Several `v1=` values may be sent while a secret is
rotated; one must match. A signature older than `LAOTIE_PAYMENT_WEBHOOK_TOLERANCE_SECONDS` (300 s)
is refused (replays). A refused webhook answers 4xx `INVALID_SIGNATURE` and is kept for
investigation; the same event id delivered again answers 200 `duplicate` and changes nothing.

**Event.** JSON, at most 64 KiB: `id` (unique per event, `evt_sbx_…`), `type` (`payment.succeeded`,
`payment.failed`, `payment.canceled`, `payment.expired`, `payment.processing`,
`payment.requires_confirmation`, `payout.paid`, `payout.failed`), `created` (unix seconds), `data`
(the charge or payout: `provider_ref`, `amount_fen`, `status`, `metadata`, and `decline_reason` or
`failure_reason`)."""

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "created", "data"],
    "properties": {
        "id": {"type": "string", "maxLength": 100, "example": "evt_sbx_4f1c2a9e0b7d6c5a3e2f1a0b"},
        "type": {
            "type": "string",
            "enum": [
                "payment.requires_confirmation",
                "payment.processing",
                "payment.succeeded",
                "payment.failed",
                "payment.canceled",
                "payment.expired",
                "payout.paid",
                "payout.failed",
            ],
        },
        "created": {"type": "integer", "description": "unix seconds when the event was created"},
        "data": {
            "type": "object",
            "required": ["provider_ref", "amount_fen", "status"],
            "properties": {
                "provider_ref": {"type": "string", "example": "ch_sbx_9a8b7c6d5e4f3a2b1c0d9e8f"},
                "amount_fen": {"type": "integer", "minimum": 0},
                "status": {"type": "string"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "decline_reason": {"type": "string", "description": "payment.failed only"},
                "failure_reason": {"type": "string", "description": "payout.failed only"},
            },
        },
    },
}

OPENAPI_EXTRA: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": True,
            "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + body>",
            "schema": {"type": "string", "example": "t=1765065600,v1=5d41402abc4b2a76b9719d911017c592"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _EVENT_SCHEMA}},
    },
}

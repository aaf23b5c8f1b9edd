"""What an integrator needs to send (or check) a sandbox webhook, for the OpenAPI document.

The route reads the raw body (the signature covers the exact bytes), so FastAPI cannot infer any of
this; it is declared here and attached to ``POST /api/v1/payments/webhooks/sandbox``. Kept next to
``signature.py`` and ``psp.queue_webhook``, which it describes. docs/payments-webhooks.md says the same
in prose, with an example.
"""

from __future__ import annotations

from typing import Any

from laotie.core.request_body import body_limit
from laotie.payments.sandbox.signature import HEADER

MAX_WEBHOOK_BYTES = 64 * 1024  # one event
BATCH_PATH = "/api/v1/payments/webhooks/sandbox/batch"
# A batch carries at most this many events, in at most this many bytes: 16 KiB an event on average,
# a quarter of one event's own limit (a real one is under 1 KiB), so a batch is read at a bounded cost.
MAX_BATCH_EVENTS = 100
MAX_BATCH_BYTES = MAX_BATCH_EVENTS * 16 * 1024

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
`failure_reason`).

Many events at once: `POST /api/v1/payments/webhooks/sandbox/batch` (what the sandbox's own sender
uses)."""

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

BATCH_DESCRIPTION = f"""Many notifications from the sandbox PSP in one signed request (as Adyen
sends `notificationItems`): what the PSP's own sender uses, one request for up to
{MAX_BATCH_EVENTS} events instead of one each. `POST /api/v1/payments/webhooks/sandbox` stays for
single events.

**Body.** `{{"events": [<event>, ...]}}`: 1 to {MAX_BATCH_EVENTS} events, each exactly as the single
endpoint takes it, at most {MAX_BATCH_BYTES // 1024} KiB in all (413 `WEBHOOK_TOO_LARGE` past it).
The header `{HEADER}` signs the whole body once, the same way as a single event's; a bad signature
(or a body that is no batch) refuses the whole request with 400 `INVALID_SIGNATURE`, is kept for
investigation and applies nothing.

**Answer.** 200 once every event that could be applied is committed, with `results`: one entry per
event, in the order sent, with the event's `id` and the `status` the single endpoint would have
answered for it alone: 200 with its `outcome` (`applied`, `duplicate`, `ignored`, `mismatch`: keep it
delivered), 400 `INVALID_SIGNATURE` (an item that is no valid event: refused for good, do not send
it again), or another 4xx/5xx with its `error` (`PAYMENT_NOT_FOUND` while the payment is not yet
known, or a failure: send that event again later, alone or in a later batch). One event's failure
does not hold back the others. Each event is applied at most once by its `id`, whatever batches it
comes in; a payment's events are applied in the order they appear (send a payment's next event
only after its previous one is answered, as the sandbox's sender does)."""

_BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["events"],
    "properties": {
        "events": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_EVENTS, "items": _EVENT_SCHEMA}
    },
}

OPENAPI_EXTRA: dict[str, Any] = {
    # The route refuses past 64 KiB itself, with its own code (WEBHOOK_TOO_LARGE); the body cap
    # (core.request_body) only bounds what it may read, so it sits above that.
    **body_limit(128 * 1024),
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

OPENAPI_EXTRA_BATCH: dict[str, Any] = {
    **OPENAPI_EXTRA,
    # As above: the route refuses past MAX_BATCH_BYTES with its own code; the cap sits above it.
    **body_limit(MAX_BATCH_BYTES + 64 * 1024),
    "requestBody": {"required": True, "content": {"application/json": {"schema": _BATCH_SCHEMA}}},
}

"""The sandbox PSP's notifications to the platform, queued as rows of its webhook outbox
(``SandboxWebhook``) that ``delivery`` signs and sends after the commit. Core inserts: a
confirmation queues two or three of them per paid order."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.payments.sandbox.models import ChargeStatus, SandboxWebhook
from laotie.settings import get_settings

_WEBHOOKS = cast(Table, SandboxWebhook.__table__)
# RETURNING makes SQLAlchemy send several rows as one multi-row INSERT ("insertmanyvalues") instead
# of one statement per row (psycopg's executemany).
_WEBHOOK_INSERT = insert(_WEBHOOKS).returning(_WEBHOOKS.c.id, sort_by_parameter_order=True)


def webhook_rows(type_: str, object_ref: str, data: dict[str, Any], copies: int) -> list[dict[str, Any]]:
    """The rows of one event (``copies`` > 1: the very same event again, as a PSP whose
    acknowledgement got lost sends it)."""
    now = clock.now()
    event_id = f"evt_sbx_{secrets.token_hex(12)}"
    payload = {"id": event_id, "type": type_, "created": int(now.timestamp()), "data": data}
    due = now + timedelta(seconds=get_settings().sandbox_webhook_delay_seconds)
    return [
        {
            "event_id": event_id,
            "copy": copy,
            "type": type_,
            "object_ref": object_ref,
            "payload": payload,
            "created_at": now,
            "next_attempt_at": due,
            "attempts": 0,
            "delivered_at": None,
            "gave_up_at": None,
            "last_status": None,
            "last_error": "",
        }
        for copy in range(1, copies + 1)
    ]


def queue(session: Session, rows: list[dict[str, Any]]) -> None:
    """One INSERT for every row, in the order given: the order of first delivery."""
    session.execute(_WEBHOOK_INSERT, rows)
    session.info["sandbox_webhook_queued"] = True  # the sender is woken after the commit


def queue_webhook(
    session: Session, type_: str, object_ref: str, data: dict[str, Any], copies: int = 1
) -> str:
    """Queue one notification (``copies`` > 1 sends the very same event again). Delivery starts after
    the configured delay; the order of queueing is the order of first delivery."""
    rows = webhook_rows(type_, object_ref, data, copies)
    queue(session, rows)
    return str(rows[0]["event_id"])


def charge_data(
    provider_ref: str, amount_fen: int, meta: Mapping[str, Any], decline_reason: str, status: str
) -> dict[str, Any]:
    return {
        "provider_ref": provider_ref,
        "amount_fen": amount_fen,
        "status": status,
        "decline_reason": decline_reason if status == ChargeStatus.FAILED else "",
        "metadata": {k: v for k, v in meta.items() if not k.startswith("_")},
    }

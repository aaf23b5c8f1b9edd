"""The sandbox PSP's webhook sender: signs each queued notification and POSTs it to the platform,
retrying with backoff until it is answered with 2xx, like a real PSP.

Each attempt takes a lease on the row (``next_attempt_at`` moves ahead) in a short transaction that
commits before the HTTP call, so the platform's handler never waits on the sender's lock and a sender
that dies mid-call leaves the row to be sent again when the lease runs out. In the embedded setup a
thread of the API process runs ``run_forever`` against ``LAOTIE_PUBLIC_URL``; tests call
``deliver_pending`` with their own client instead.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import backoff
from laotie.core.uow import unit_of_work
from laotie.payments.sandbox import signature
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/payments/webhooks/sandbox"
LEASE = timedelta(seconds=30)

# Sends one signed request; returns the HTTP status. Raising counts as a failed attempt.
Send = Callable[[str, bytes, dict[str, str]], int]


class _Poster(Protocol):
    def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> Any: ...


@dataclass
class DeliveryReport:
    attempted: int = 0
    acknowledged: int = 0
    failed: int = 0
    statuses: list[int | None] = field(default_factory=list)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookDeliverer:
    def __init__(self, db: Database, batch_size: int = 50) -> None:
        self.db = db
        self.batch_size = batch_size
        self.wake = threading.Event()
        event.listen(db.sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("sandbox_webhook_queued", False):
            self.wake.set()

    def close(self) -> None:
        event.remove(self.db.sessions, "after_commit", self._after_commit)

    def claim(self, ignore_schedule: bool = False) -> list[tuple[int, bytes]]:
        with unit_of_work(self.db) as session:
            now = clock.now()
            query = (
                select(SandboxWebhook)
                .where(SandboxWebhook.delivered_at.is_(None), SandboxWebhook.gave_up_at.is_(None))
                .order_by(SandboxWebhook.next_attempt_at, SandboxWebhook.id)
                .limit(self.batch_size)
            )
            if not ignore_schedule:
                query = query.where(SandboxWebhook.next_attempt_at <= now)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            claimed = []
            for row in rows:
                row.next_attempt_at = now + LEASE
                claimed.append((row.id, encode(dict(row.payload))))
            session.commit()
        return claimed

    def attempt(self, webhook_id: int, body: bytes, send: Send) -> int | None:
        """Send once; record the answer. Returns the status, None when the call itself failed."""
        settings = get_settings()
        headers = {
            "Content-Type": "application/json",
            signature.HEADER: signature.sign(settings.payment_webhook_secret, body, clock.now()),
        }
        status: int | None = None
        error = ""
        try:
            status = send(WEBHOOK_PATH, body, headers)
        except Exception as exc:  # a crash or a dropped connection on the other side: try again later
            error = repr(exc)[:2000]
        with unit_of_work(self.db) as session:
            row = session.get(SandboxWebhook, webhook_id)
            if row is None:
                return status
            now = clock.now()
            row.last_status = status
            if status is not None and 200 <= status < 300:
                row.delivered_at = now
                row.last_error = ""
            else:
                row.attempts += 1
                row.last_error = error or f"HTTP {status}"
                if row.attempts >= settings.sandbox_webhook_max_attempts:
                    row.gave_up_at = now
                    log.error("sandbox gave up on webhook %s after %s attempts", row.event_id, row.attempts)
                else:
                    row.next_attempt_at = now + backoff(row.attempts)
            session.commit()
        return status

    def run_once(self, send: Send, ignore_schedule: bool = False) -> DeliveryReport:
        report = DeliveryReport()
        for webhook_id, body in self.claim(ignore_schedule):
            status = self.attempt(webhook_id, body, send)
            report.attempted += 1
            report.statuses.append(status)
            if status is not None and 200 <= status < 300:
                report.acknowledged += 1
            else:
                report.failed += 1
        return report

    def run_forever(self, stop: threading.Event, base_url: str, poll_seconds: float = 0.25) -> None:
        with httpx.Client(base_url=base_url, timeout=10.0) as http:
            send = _sender(http)
            while not stop.is_set():
                try:
                    busy = self.run_once(send).attempted
                except Exception:  # the database is briefly unreachable: wait and retry
                    log.exception("sandbox webhook pass failed")
                    busy = 0
                if not busy:
                    self.wake.wait(poll_seconds)
                    self.wake.clear()

    def start_thread(
        self, base_url: str, poll_seconds: float = 0.25
    ) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever,
            args=(stop, base_url, poll_seconds),
            name="sandbox-webhooks",
            daemon=True,
        )
        thread.start()
        return thread, stop


def _sender(client: _Poster) -> Send:
    def send(path: str, body: bytes, headers: dict[str, str]) -> int:
        return int(client.post(path, content=body, headers=headers).status_code)

    return send


def deliver_pending(db: Database, client: _Poster, *, ignore_schedule: bool = True) -> DeliveryReport:
    """Send every undelivered webhook once, now, through ``client`` (a TestClient or an
    ``httpx.Client`` with a base URL). Failed ones stay queued for the next call."""
    deliverer = WebhookDeliverer(db, batch_size=1000)
    try:
        return deliverer.run_once(_sender(client), ignore_schedule=ignore_schedule)
    finally:
        deliverer.close()

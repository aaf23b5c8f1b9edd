"""The sandbox PSP's webhook sender: signs queued notifications and POSTs them to the platform, many
events to a request (``sending``), retrying each one with backoff until it is acknowledged, like a
real PSP.

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
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, event, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.outbox import backoff
from laotie.core.uow import unit_of_work
from laotie.payments.sandbox.keep_alive import KeepAliveSender
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.payments.sandbox.sending import (
    WEBHOOK_PATH,
    Answer,
    Claimed,
    Send,
    fan_out_with,
    send_in_turn,
    send_rounds,
)
from laotie.settings import get_settings

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
_TABLE = cast(Table, SandboxWebhook.__table__)
# Neither delivered nor given up: what a lease may take (when due) and what "anything due?" reads.
_PENDING = (_TABLE.c.delivered_at.is_(None), _TABLE.c.gave_up_at.is_(None))
# Imported from here by tests and callers.
__all__ = [
    "WEBHOOK_PATH",
    "DeliveryReport",
    "KeepAliveSender",
    "WebhookDeliverer",
    "deliver_pending",
    "encode",
]


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
    """Takes many due notifications at once, sends them concurrently (``concurrency`` requests at a
    time; the notifications about one payment one after another, in the order they were queued, as
    a real PSP's do), and records every answer of a pass in one transaction. ``batch_events`` > 1
    sends up to that many events in one signed request (``sending.send_rounds``); 1 sends each
    notification alone to the single-event endpoint."""

    def __init__(
        self, db: Database, batch_size: int = 500, concurrency: int = 32, batch_events: int | None = None
    ) -> None:
        self.db = db
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.batch_events = (
            get_settings().sandbox_webhook_batch_events if batch_events is None else batch_events
        )
        self.wake = threading.Event()
        # The sending threads of ``run_forever``, kept from pass to pass (not started for each).
        self._pool: ThreadPoolExecutor | None = None
        event.listen(db.sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("sandbox_webhook_queued", False):
            self.wake.set()

    def close(self) -> None:
        event.remove(self.db.sessions, "after_commit", self._after_commit)

    def claim(self, ignore_schedule: bool = False) -> list[Claimed]:
        """Lease up to ``batch_size`` due notifications: one read and one update."""
        t = _TABLE
        if self.db.is_sqlite and not ignore_schedule and not self._any_due():
            return []
        with unit_of_work(self.db) as session:
            now = clock.now()
            query = (
                select(t.c.id, t.c.object_ref, t.c.attempts, t.c.payload)
                .where(*_PENDING)
                .order_by(t.c.next_attempt_at, t.c.id)
                .limit(self.batch_size)
            )
            if not ignore_schedule:
                query = query.where(t.c.next_attempt_at <= now)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = session.execute(query).all()
            if rows:
                session.execute(
                    update(t).where(t.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + LEASE)
                )
            session.commit()
        return [Claimed(r.id, r.object_ref, r.attempts, encode(dict(r.payload))) for r in rows]

    def _any_due(self) -> bool:
        """Whether a notification is due, read without the write lock: on SQLite a lease is a write
        transaction, and the sender is woken by every commit that queues one (each due a delay later)
        or polls; a pass that finds nothing due should not make the payments' writer wait (issue 15)."""
        t = _TABLE
        with unit_of_work(self.db, read_only=True) as session:
            due = session.execute(
                select(t.c.id).where(*_PENDING, t.c.next_attempt_at <= clock.now()).limit(1)
            ).first()
        return due is not None

    def send_all(self, claimed: list[Claimed], send: Send) -> list[Answer]:
        by_object: dict[str, list[Claimed]] = {}
        for one in claimed:
            by_object.setdefault(one.object_ref, []).append(one)
        groups = list(by_object.values())
        fan_out = fan_out_with(self._pool, self.concurrency)
        if self.batch_events > 1:
            return send_rounds(groups, send, self.batch_events, fan_out)
        return [a for answers in fan_out(lambda g: send_in_turn(g, send), groups) for a in answers]

    def record(self, answers: list[Answer]) -> None:
        """Every answer of a pass in one transaction: the acknowledged ones in one statement."""
        if not answers:
            return
        t = _TABLE
        max_attempts = get_settings().sandbox_webhook_max_attempts
        now = clock.now()
        with unit_of_work(self.db) as session:
            # Acknowledged: one statement per status answered (in practice one: 200).
            for status, ids in _by_status(a for a in answers if a.ok).items():
                session.execute(
                    update(t)
                    .where(t.c.id.in_(ids))
                    .values(delivered_at=now, last_status=status, last_error="")
                )
            failed = []
            for a in answers:
                if a.ok:
                    continue
                attempts = a.claimed.attempts + 1
                gave_up = attempts >= max_attempts or a.final
                if gave_up:
                    log.error("sandbox gave up on webhook %s after %s attempts", a.claimed.id, attempts)
                failed.append(
                    {
                        "row_id": a.claimed.id,
                        "new_attempts": attempts,
                        "new_status": a.status,
                        "new_error": a.error or f"HTTP {a.status}",
                        "new_gave_up_at": now if gave_up else None,
                        "new_next_attempt_at": now + backoff(attempts),
                    }
                )
            if failed:
                session.connection().execute(
                    update(t)
                    .where(t.c.id == bindparam("row_id"))
                    .values(
                        attempts=bindparam("new_attempts"),
                        last_status=bindparam("new_status"),
                        last_error=bindparam("new_error"),
                        gave_up_at=bindparam("new_gave_up_at"),
                        next_attempt_at=bindparam("new_next_attempt_at"),
                    ),
                    failed,
                )
            session.commit()

    def run_once(self, send: Send, ignore_schedule: bool = False) -> DeliveryReport:
        report = DeliveryReport()
        answers = self.send_all(self.claim(ignore_schedule), send)
        self.record(answers)
        for answer in answers:
            report.attempted += 1
            report.statuses.append(answer.status)
            if answer.ok:
                report.acknowledged += 1
            else:
                report.failed += 1
        return report

    def run_forever(
        self, stop: threading.Event, base_url: str, poll_seconds: float = 0.25, gather_seconds: float = 0.0
    ) -> None:
        """Pass after pass while notifications are due; idle, wait for a wake-up or ``poll_seconds``.
        A pass that leased less than a full batch is followed by ``gather_seconds`` of letting due
        notifications accumulate (``settings.sandbox_webhook_gather_seconds``): the platform applies
        a batch request's events together, at a cost per request and statement more than per event."""
        sender = KeepAliveSender(base_url)
        send = sender.exchange
        self._pool = ThreadPoolExecutor(max(self.concurrency, 1), "sandbox-send")
        try:
            while not stop.is_set():
                try:
                    busy = self.run_once(send).attempted
                except Exception:  # the database is briefly unreachable: wait and retry
                    log.exception("sandbox webhook pass failed")
                    busy = 0
                if not busy:
                    self.wake.wait(poll_seconds)
                    self.wake.clear()
                elif busy < self.batch_size and gather_seconds > 0:
                    stop.wait(gather_seconds)
        finally:
            self._pool.shutdown(wait=False)
            self._pool = None
            sender.close()

    def start_thread(
        self, base_url: str, poll_seconds: float = 0.25, gather_seconds: float = 0.0
    ) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever,
            args=(stop, base_url, poll_seconds, gather_seconds),
            name="sandbox-webhooks",
            daemon=True,
        )
        thread.start()
        return thread, stop


def _by_status(answers: Iterable[Answer]) -> dict[int | None, list[int]]:
    out: dict[int | None, list[int]] = {}
    for a in answers:
        out.setdefault(a.status, []).append(a.claimed.id)
    return out


def _sender(client: _Poster) -> Send:
    def send(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = client.post(path, content=body, headers=headers)
        return int(response.status_code), bytes(response.content)

    return send


def deliver_pending(
    db: Database, client: _Poster, *, ignore_schedule: bool = True, batch_events: int | None = None
) -> DeliveryReport:
    """Send every undelivered webhook once, now, through ``client`` (a TestClient or an
    ``httpx.Client`` with a base URL), batched as the settings say unless ``batch_events`` is given
    (1: each alone to the single-event endpoint). Failed ones stay queued for the next call."""
    # One request at a time: a test's client (Starlette's TestClient) is not meant for threads.
    deliverer = WebhookDeliverer(db, batch_size=1000, concurrency=1, batch_events=batch_events)
    try:
        return deliverer.run_once(_sender(client), ignore_schedule=ignore_schedule)
    finally:
        deliverer.close()

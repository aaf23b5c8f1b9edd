"""The sandbox PSP's webhook sender: signs each queued notification and POSTs it to the platform,
retrying with backoff until it is answered with 2xx, like a real PSP.

Each attempt takes a lease on the row (``next_attempt_at`` moves ahead) in a short transaction that
commits before the HTTP call, so the platform's handler never waits on the sender's lock and a sender
that dies mid-call leaves the row to be sent again when the lease runs out. In the embedded setup a
thread of the API process runs ``run_forever`` against ``LAOTIE_PUBLIC_URL``; tests call
``deliver_pending`` with their own client instead.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
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
from laotie.payments.sandbox import signature
from laotie.payments.sandbox.models import SandboxWebhook
from laotie.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/payments/webhooks/sandbox"
LEASE = timedelta(seconds=30)
_TABLE = cast(Table, SandboxWebhook.__table__)

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


@dataclass(frozen=True)
class _Claimed:
    id: int
    object_ref: str
    attempts: int
    body: bytes


@dataclass(frozen=True)
class _Answer:
    claimed: _Claimed
    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDeliverer:
    """Takes many due notifications at once, sends them concurrently (``concurrency`` at a time;
    the notifications about one payment one after another, in the order they were queued, as a
    real PSP's do), and records every answer of a pass in one transaction."""

    def __init__(self, db: Database, batch_size: int = 500, concurrency: int = 32) -> None:
        self.db = db
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.wake = threading.Event()
        # The sending threads of ``run_forever``, kept from pass to pass (not started for each).
        self._pool: ThreadPoolExecutor | None = None
        event.listen(db.sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("sandbox_webhook_queued", False):
            self.wake.set()

    def close(self) -> None:
        event.remove(self.db.sessions, "after_commit", self._after_commit)

    def claim(self, ignore_schedule: bool = False) -> list[_Claimed]:
        """Lease up to ``batch_size`` due notifications: one read and one update."""
        t = _TABLE
        with unit_of_work(self.db) as session:
            now = clock.now()
            query = (
                select(t.c.id, t.c.object_ref, t.c.attempts, t.c.payload)
                .where(t.c.delivered_at.is_(None), t.c.gave_up_at.is_(None))
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
        return [_Claimed(r.id, r.object_ref, r.attempts, encode(dict(r.payload))) for r in rows]

    def _send(self, claimed: _Claimed, send: Send) -> _Answer:
        headers = {
            "Content-Type": "application/json",
            signature.HEADER: signature.sign(
                get_settings().payment_webhook_secret, claimed.body, clock.now()
            ),
        }
        try:
            return _Answer(claimed, send(WEBHOOK_PATH, claimed.body, headers), "")
        except Exception as exc:  # a crash or a dropped connection on the other side: try again later
            return _Answer(claimed, None, repr(exc)[:2000])

    def _send_in_turn(self, claimed: list[_Claimed], send: Send) -> list[_Answer]:
        """One payment's notifications in order; after a failure the rest wait for the next pass."""
        answers = []
        for i, one in enumerate(claimed):
            answer = self._send(one, send)
            answers.append(answer)
            if not answer.ok:
                answers += [
                    _Answer(rest, None, "an earlier notification failed") for rest in claimed[i + 1 :]
                ]
                break
        return answers

    def send_all(self, claimed: list[_Claimed], send: Send) -> list[_Answer]:
        by_object: dict[str, list[_Claimed]] = {}
        for one in claimed:
            by_object.setdefault(one.object_ref, []).append(one)
        groups = list(by_object.values())
        if self.concurrency <= 1 or len(groups) <= 1:
            return [a for group in groups for a in self._send_in_turn(group, send)]
        if self._pool is not None:
            return [
                a
                for answers in self._pool.map(lambda g: self._send_in_turn(g, send), groups)
                for a in answers
            ]
        with ThreadPoolExecutor(min(self.concurrency, len(groups)), "sandbox-send") as pool:
            return [a for answers in pool.map(lambda g: self._send_in_turn(g, send), groups) for a in answers]

    def record(self, answers: list[_Answer]) -> None:
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
                gave_up = attempts >= max_attempts
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

    def run_forever(self, stop: threading.Event, base_url: str, poll_seconds: float = 0.25) -> None:
        send = KeepAliveSender(base_url)
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
        finally:
            self._pool.shutdown(wait=False)
            self._pool = None
            send.close()

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


class KeepAliveSender:
    """Sends over one kept-alive connection per sending thread, with the standard library's
    ``http.client``: measured at a fraction of httpx's CPU per request, and the sender shares the
    API process's CPU with the webhooks it sends. A kept-alive connection the server has closed
    meanwhile fails when reused: that request is sent once more on a new connection (the platform
    answers a notification it already has as a duplicate, so a second copy changes nothing). Any
    other failure raises, and the attempt counts as failed."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        url = urllib.parse.urlsplit(base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._prefix = url.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, self._port, timeout=self._timeout)
            with self._lock:
                self._open.append(conn)
        return conn

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        for retry in (False, True):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request("POST", self._prefix + path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if retry or not reused:
                    raise
            except BaseException:
                conn.close()  # half a request may be on the wire: never reuse it
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()


def _by_status(answers: Iterable[_Answer]) -> dict[int | None, list[int]]:
    out: dict[int | None, list[int]] = {}
    for a in answers:
        out.setdefault(a.status, []).append(a.claimed.id)
    return out


def _sender(client: _Poster) -> Send:
    def send(path: str, body: bytes, headers: dict[str, str]) -> int:
        return int(client.post(path, content=body, headers=headers).status_code)

    return send


def deliver_pending(db: Database, client: _Poster, *, ignore_schedule: bool = True) -> DeliveryReport:
    """Send every undelivered webhook once, now, through ``client`` (a TestClient or an
    ``httpx.Client`` with a base URL). Failed ones stay queued for the next call."""
    # One at a time: a test's client (Starlette's TestClient) is not meant for threads.
    deliverer = WebhookDeliverer(db, batch_size=1000, concurrency=1)
    try:
        return deliverer.run_once(_sender(client), ignore_schedule=ignore_schedule)
    finally:
        deliverer.close()

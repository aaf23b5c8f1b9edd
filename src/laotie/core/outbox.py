"""The outbox worker: delivers the events ``core.events`` stored, to the handlers subscribed on its bus.

The worker claims due events with a lease (``available_at`` moves into the future) and delivers
the claimed events in one transaction, in claim order, each (event, handler) in a savepoint of its
own together with the delivery records keyed by (event, handler); the delivered events are then
marked in one statement. A handler subscribed with ``subscribe_many`` is called once with all its
claimed events (``search.sales_on_paid`` re-indexes a product once, not once per paid order). A
handler that fails rolls back its savepoint alone: that event's later handlers wait for its retry,
with exponential backoff. If the transaction fails as a whole, each event's handlers then run one at
a time, each in its own transaction. A worker that dies leaves its lease to expire, and another pass
picks the event up again. Because a handler's effects and its delivery record commit together, a
handler never applies its effects twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import Event, EventBus, OutboxDelivery, OutboxEvent, Subscription, bus
from laotie.core.uow import unit_of_work

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... capped at five minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 300))


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        event_bus: EventBus = bus,
        lease: timedelta = timedelta(seconds=30),
        max_attempts: int = 12,
        batch_size: int = 50,
    ) -> None:
        self.db = db
        self.bus = event_bus
        self.lease = lease
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.wake = db.outbox_signal
        self.claimed_count = 0

    def claim(self) -> list[Event]:
        """Take a lease on due events so that no other worker runs them meanwhile. An event no
        handler listens to (``PaymentRefunded``, say: ``docs/events.md`` lists them) is marked
        delivered in the same transaction rather than in one of its own: many unheard events would
        otherwise cost as many write transactions competing with the buyers'. ``claimed_count``
        counts both."""
        t = cast(Table, OutboxEvent.__table__)
        with unit_of_work(self.db) as session:
            now = clock.now()
            query = (
                select(t.c.event_id, t.c.topic, t.c.payload, t.c.created_at)
                .where(t.c.delivered_at.is_(None), t.c.dead_at.is_(None), t.c.available_at <= now)
                .order_by(t.c.id)
                .limit(self.batch_size)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = session.execute(query).all()
            # Core rows and two set-based updates: no ORM object per event to load and flush.
            claimed: list[Event] = []
            unheard: list[str] = []
            for r in rows:
                if self.bus.handlers(r.topic):
                    claimed.append(Event(r.event_id, r.topic, dict(r.payload), r.created_at))
                else:
                    unheard.append(r.event_id)
            if claimed:
                session.execute(
                    update(t)
                    .where(t.c.event_id.in_([ev.id for ev in claimed]))
                    .values(available_at=now + self.lease)
                )
            if unheard:
                session.execute(update(t).where(t.c.event_id.in_(unheard)).values(delivered_at=now))
            session.commit()
        self.claimed_count = len(rows)
        return claimed

    def deliver(self, ev: Event) -> bool:
        """Run every handler not yet applied to one event, each in its own transaction; True when
        the event is fully delivered."""
        errors: dict[str, str] = {}
        self._deliver_alone(ev, errors)
        self._record_outcomes([ev], errors)
        return ev.id not in errors

    def _deliver_alone(self, ev: Event, errors: dict[str, str]) -> None:
        for name, sub in self.bus.handlers(ev.topic).items():
            with unit_of_work(self.db) as session:
                if session.get(OutboxDelivery, (ev.id, name)) is not None:
                    continue
                try:
                    sub(session, ev)
                    session.add(OutboxDelivery(event_id=ev.id, handler=name, delivered_at=clock.now()))
                    session.commit()
                except Exception as exc:  # a handler's failure must not stop the worker
                    session.rollback()
                    log.exception("handler %s failed on event %s", name, ev.id)
                    errors[ev.id] = f"{name}: {exc!r}"
                    return

    def _deliver_together(self, evs: list[Event], errors: dict[str, str]) -> None:
        """Every claimed event's handlers in one transaction, in claim order, each (event, handler)
        in a savepoint: a failure rolls back that one and the event's later handlers wait for its
        retry (``errors``: event id -> why). ``subscribe_many`` handlers run last, once per handler
        with all its events (they rebuild from current facts, so order does not matter to them)."""
        with unit_of_work(self.db) as session:
            ids = [ev.id for ev in evs]
            rows = session.execute(
                select(OutboxDelivery.event_id, OutboxDelivery.handler).where(
                    OutboxDelivery.event_id.in_(ids)
                )
            )
            done = {(event_id, handler) for event_id, handler in rows}
            applied: list[tuple[str, str]] = []
            many: dict[str, tuple[Subscription, list[Event]]] = {}
            for ev in evs:
                for name, sub in self.bus.handlers(ev.topic).items():
                    if ev.id in errors:
                        break
                    if (ev.id, name) in done:
                        continue
                    if sub.takes_many:
                        many.setdefault(name, (sub, []))[1].append(ev)
                    elif _in_savepoint(session, name, ev, errors, sub):
                        applied.append((ev.id, name))
            for name, (sub, group) in many.items():
                group = [ev for ev in group if ev.id not in errors]
                try:
                    with session.begin_nested():
                        sub.many(session, group)
                    applied += [(ev.id, name) for ev in group]
                except Exception:
                    log.warning("handler %s failed on %d events together; one at a time", name, len(group))
                    applied += [
                        (ev.id, name) for ev in group if _in_savepoint(session, name, ev, errors, sub)
                    ]
            if applied:
                now = clock.now()
                session.execute(
                    insert(OutboxDelivery),
                    [{"event_id": e, "handler": h, "delivered_at": now} for e, h in applied],
                )
            session.commit()

    def _record_outcomes(self, evs: list[Event], errors: dict[str, str]) -> None:
        """The delivered ones in one statement; each failed one backs off on its own."""
        delivered = [ev.id for ev in evs if ev.id not in errors]
        if delivered:
            with unit_of_work(self.db) as session:
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.event_id.in_(delivered))
                    .values(delivered_at=clock.now(), last_error=None)
                )
                session.commit()
        for ev in evs:
            if ev.id in errors:
                self._record_outcome(ev, errors[ev.id])

    def _record_outcome(self, ev: Event, error: str | None) -> None:
        with unit_of_work(self.db) as session:
            row = session.scalars(select(OutboxEvent).where(OutboxEvent.event_id == ev.id)).one()
            now = clock.now()
            if error is None:
                row.delivered_at = now
                row.last_error = None
            else:
                row.attempts += 1
                row.last_error = error[:2000]
                if row.attempts >= self.max_attempts:
                    row.dead_at = now
                else:
                    row.available_at = now + backoff(row.attempts)
            session.commit()

    def run_once(self) -> int:
        """Deliver what is due now, the claimed events together (``_deliver_together``); if that
        transaction fails as a whole, one event and handler at a time. Returns how many events were
        attempted."""
        claimed = self.claim()
        errors: dict[str, str] = {}
        if claimed:
            try:
                self._deliver_together(claimed, errors)
            except Exception:  # e.g. the commit failed: nothing of it stands, so each on its own
                log.exception("delivering %d events together failed; one at a time", len(claimed))
                errors.clear()
                for ev in claimed:
                    self._deliver_alone(ev, errors)
        self._record_outcomes(claimed, errors)
        return self.claimed_count

    def run_until_idle(self, max_rounds: int = 100) -> None:
        for _ in range(max_rounds):
            if self.run_once() == 0:
                return

    def run_forever(
        self, stop: threading.Event, poll_seconds: float = 0.5, gather_seconds: float = 0.0
    ) -> None:
        """Pass after pass while there is work; idle, wait for a commit's wake-up (or ``poll_seconds``).
        A pass that found less than a full batch is followed by ``gather_seconds`` of letting events
        accumulate (``settings.outbox_gather_seconds``), so a steady trickle is delivered in runs."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # e.g. the database is briefly unreachable: wait and retry
                log.exception("outbox pass failed")
                busy = 0
            if not busy:
                self.wake.wait(poll_seconds)
                self.wake.clear()
            elif busy < self.batch_size and gather_seconds > 0:
                stop.wait(gather_seconds)

    def start_thread(
        self, poll_seconds: float = 0.5, gather_seconds: float = 0.0
    ) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever,
            args=(stop, poll_seconds, gather_seconds),
            name="outbox-worker",
            daemon=True,
        )
        thread.start()
        return thread, stop


def _in_savepoint(session: Session, name: str, ev: Event, errors: dict[str, str], sub: Subscription) -> bool:
    """Apply one handler to one event in a savepoint; False (and the reason in ``errors``) if it failed."""
    try:
        with session.begin_nested():
            sub(session, ev)
        return True
    except Exception as exc:  # a handler's failure must not stop the worker
        log.exception("handler %s failed on event %s", name, ev.id)
        errors[ev.id] = f"{name}: {exc!r}"
        return False

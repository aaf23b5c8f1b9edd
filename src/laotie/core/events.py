"""Transactional outbox, typed events, and the worker that delivers them after commit.

Every event is a frozen dataclass deriving from ``DomainEvent`` with its topic spelled once, in a
``topic`` ClassVar, and declared by the domain that emits it (its ``published.py``). A service
calls ``emit(session, OrderPaid(order_id=...))`` inside the request's transaction, so the event
exists exactly when the change that caused it does; its fields are stored as the row's JSON payload
(a field named ``from_`` is stored as ``from``). Handlers subscribe by type, in their domain's
``register`` function (``laotie.bootstrap``), and receive the event rebuilt from that payload.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self, TypeVar

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from laotie.core import clock
from laotie.core.db import Base, BigId, Database, UTCDateTime
from laotie.core.ids import new_event_id
from laotie.core.uow import unit_of_work

log = logging.getLogger(__name__)


class OutboxEvent(Base):
    __tablename__ = "core_outbox_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxDelivery(Base):
    """One handler has applied one event; committed in the handler's own transaction."""

    __tablename__ = "core_outbox_delivery"

    event_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("core_outbox_event.event_id"), primary_key=True
    )
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Event:
    """An event as the outbox row holds it: what the worker claims and delivers."""

    id: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class DomainEvent:
    """Base of every typed event. ``event_id`` and ``emitted_at`` are not part of the payload: the
    worker fills them from the outbox row (its id, and when the change happened) for handlers that
    record the event or count from its time."""

    topic: ClassVar[str]
    event_id: str | None = field(default=None, kw_only=True, compare=False, repr=False)
    emitted_at: datetime | None = field(default=None, kw_only=True, compare=False, repr=False)

    def payload(self) -> dict[str, Any]:
        return {key: getattr(self, name) for name, key in _layout(type(self))}

    @classmethod
    def from_payload(
        cls, payload: dict[str, Any], emitted_at: datetime | None = None, event_id: str | None = None
    ) -> Self:
        """Rebuild the event from a stored payload; keys no field names are ignored (rows written
        before a field was dropped stay deliverable)."""
        known = {key: name for name, key in _layout(cls)}
        values = {known[k]: v for k, v in payload.items() if k in known}
        return cls(**values, emitted_at=emitted_at, event_id=event_id)


_ENVELOPE = {"event_id", "emitted_at"}


_LAYOUTS: dict[type, tuple[tuple[str, str], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, payload key) of each payload field, worked out once per class (placement emits
    a batch of events per checkout)."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        keys = [(f.name, str(f.metadata.get("key", f.name))) for f in fields(cls) if f.name not in _ENVELOPE]
        layout = _LAYOUTS[cls] = tuple(keys)
    return layout


def stored_as(key: str) -> Any:
    """Field metadata naming the payload key when it is no Python name (``from``)."""
    return {"key": key}


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
ManyHandler = Callable[[Session, list[Any]], None]
Delivery = Callable[[Session, Event], None]


@dataclass(frozen=True)
class _Subscription:
    event_type: type[DomainEvent]
    handler: Handler | ManyHandler
    takes_many: bool = False

    def typed(self, ev: Event) -> DomainEvent:
        return self.event_type.from_payload(ev.payload, ev.created_at, ev.id)

    def __call__(self, session: Session, ev: Event) -> None:
        if self.takes_many:
            self.handler(session, [self.typed(ev)])  # type: ignore[arg-type]
        else:
            self.handler(session, self.typed(ev))  # type: ignore[arg-type]

    def many(self, session: Session, evs: Sequence[Event]) -> None:
        """A ``subscribe_many`` handler: all of a run's events in one call."""
        self.handler(session, [self.typed(ev) for ev in evs])  # type: ignore[arg-type]


class EventBus:
    """Which handlers listen to which event type. Handlers are named so deliveries can be recorded;
    subscribing the same handler under the same name again changes nothing (tests build many apps)."""

    def __init__(self) -> None:
        self._handlers: dict[str, dict[str, _Subscription]] = {}
        self._types: dict[str, type[DomainEvent]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None], *, name: str) -> None:
        """Run ``handler`` on every ``event_type`` event, once per event, recorded under ``name``."""
        self._add(event_type, _Subscription(event_type, handler), name)

    def subscribe_many(
        self, event_type: type[E], handler: Callable[[Session, list[E]], None], *, name: str
    ) -> None:
        """Like ``subscribe``, but ``handler`` gets every event of a delivery run in one call (for work
        that many events ask for once, such as re-indexing a product many orders bought). It must
        apply each event's effect as ``subscribe``'s handler would: if the call fails, the events
        are retried one at a time."""
        self._add(event_type, _Subscription(event_type, handler, takes_many=True), name)

    def _add(self, event_type: type[DomainEvent], subscription: _Subscription, name: str) -> None:
        handler = subscription.handler
        topic = event_type.topic
        known = self._types.setdefault(topic, event_type)
        if known is not event_type:
            raise ValueError(
                f"topic {topic!r} is already {known.__qualname__}, not {event_type.__qualname__}"
            )
        existing = self._handlers.get(topic, {}).get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"handler name {name!r} on {topic!r} is already taken")
        self._handlers.setdefault(topic, {})[name] = subscription

    def handlers(self, topic: str) -> dict[str, _Subscription]:
        """Name -> a callable that rebuilds the typed event from the stored one and handles it."""
        return dict(self._handlers.get(topic, {}))

    def subscriptions(self) -> dict[str, list[str]]:
        """Topic -> handler names (the events table in docs/events.md is checked against this)."""
        return {topic: sorted(names) for topic, names in self._handlers.items() if names}


bus = EventBus()


def emit(session: Session, event: DomainEvent) -> str:
    """Write an event into the outbox in the caller's transaction; returns its id."""
    at = clock.now()
    event_id = new_event_id()
    session.add(
        OutboxEvent(
            event_id=event_id,
            topic=event.topic,
            payload=event.payload(),
            created_at=at,
            available_at=at,
            attempts=0,
        )
    )
    session.info["outbox_emitted"] = True
    return event_id


def emit_many(session: Session, events: Sequence[DomainEvent]) -> None:
    """Write many events with one statement (the order placement batch)."""
    if not events:
        return
    at = clock.now()
    session.execute(
        insert(OutboxEvent),
        [
            {
                "event_id": new_event_id(),
                "topic": event.topic,
                "payload": event.payload(),
                "created_at": at,
                "available_at": at,
                "attempts": 0,
            }
            for event in events
        ],
    )
    session.info["outbox_emitted"] = True


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
        with unit_of_work(self.db) as session:
            now = clock.now()
            query = (
                select(OutboxEvent)
                .where(
                    OutboxEvent.delivered_at.is_(None),
                    OutboxEvent.dead_at.is_(None),
                    OutboxEvent.available_at <= now,
                )
                .order_by(OutboxEvent.id)
                .limit(self.batch_size)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            claimed = []
            for row in rows:
                if self.bus.handlers(row.topic):
                    row.available_at = now + self.lease
                    claimed.append(Event(row.event_id, row.topic, dict(row.payload), row.created_at))
                else:
                    row.delivered_at = now
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
            many: dict[str, tuple[_Subscription, list[Event]]] = {}
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

    def run_forever(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # e.g. the database is briefly unreachable: wait and retry
                log.exception("outbox pass failed")
                busy = 0
            if not busy:
                self.wake.wait(poll_seconds)
                self.wake.clear()

    def start_thread(self, poll_seconds: float = 0.5) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop, poll_seconds), name="outbox-worker", daemon=True
        )
        thread.start()
        return thread, stop


def _in_savepoint(session: Session, name: str, ev: Event, errors: dict[str, str], sub: _Subscription) -> bool:
    """Apply one handler to one event in a savepoint; False (and the reason in ``errors``) if it failed."""
    try:
        with session.begin_nested():
            sub(session, ev)
        return True
    except Exception as exc:  # a handler's failure must not stop the worker
        log.exception("handler %s failed on event %s", name, ev.id)
        errors[ev.id] = f"{name}: {exc!r}"
        return False

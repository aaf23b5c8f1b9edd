"""Transactional outbox, typed events, and the worker that delivers them after commit.

Every event is a frozen dataclass deriving from ``DomainEvent`` with its topic spelled once, in a
``topic`` ClassVar, and declared by the domain that emits it (its ``published.py``). A service
calls ``emit(session, OrderPaid(order_id=...))`` inside the request's transaction, so the event
exists exactly when the change that caused it does; its fields are stored as the row's JSON payload
(a field named ``from_`` is stored as ``from``). Handlers subscribe by type, in their domain's
``register`` function (``laotie.bootstrap``), and receive the event rebuilt from that payload.

The worker that delivers them is ``core/outbox.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from laotie.core import clock
from laotie.core.db import Base, BigId, UTCDateTime
from laotie.core.ids import new_event_id

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
class Subscription:
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
        self._handlers: dict[str, dict[str, Subscription]] = {}
        self._types: dict[str, type[DomainEvent]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None], *, name: str) -> None:
        """Run ``handler`` on every ``event_type`` event, once per event, recorded under ``name``."""
        self._add(event_type, Subscription(event_type, handler), name)

    def subscribe_many(
        self, event_type: type[E], handler: Callable[[Session, list[E]], None], *, name: str
    ) -> None:
        """Like ``subscribe``, but ``handler`` gets every event of a delivery run in one call (for work
        that many events ask for once, such as re-indexing a product many orders bought). It must
        apply each event's effect as ``subscribe``'s handler would: if the call fails, the events
        are retried one at a time."""
        self._add(event_type, Subscription(event_type, handler, takes_many=True), name)

    def _add(self, event_type: type[DomainEvent], subscription: Subscription, name: str) -> None:
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

    def handlers(self, topic: str) -> dict[str, Subscription]:
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

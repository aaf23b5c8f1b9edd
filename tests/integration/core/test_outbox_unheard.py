"""An event nobody listens to is delivered as it is claimed; events with handlers are untouched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import func, select

from laotie.core.db import Database
from laotie.core.events import DomainEvent, EventBus, OutboxDelivery, OutboxEvent, emit
from laotie.core.outbox import OutboxWorker
from laotie.core.uow import unit_of_work


@dataclass(frozen=True)
class Heard(DomainEvent):
    topic: ClassVar[str] = "test.heard"


@dataclass(frozen=True)
class Unheard(DomainEvent):
    topic: ClassVar[str] = "test.unheard"
    n: int


def test_unheard_events_are_delivered_at_claim_and_heard_ones_run_their_handlers(db: Database) -> None:
    seen: list[str] = []
    bus = EventBus()

    def listener(session: object, ev: Heard) -> None:
        seen.append(str(ev.event_id))

    bus.subscribe(Heard, listener, name="listener")

    with unit_of_work(db) as session:
        unheard = [emit(session, Unheard(n=n)) for n in range(3)]
        heard = emit(session, Heard())
        session.commit()
    worker = OutboxWorker(db, bus)
    recorded: list[str] = []
    record = worker._record_outcomes
    worker._record_outcomes = lambda evs, errors: (recorded.extend(ev.id for ev in evs), record(evs, errors))  # type: ignore[method-assign]

    assert worker.run_once() == 4  # all counted as work, so the worker does not go idle early

    assert seen == [heard] and recorded == [heard]  # no transaction of its own for an unheard event
    with unit_of_work(db, read_only=True) as session:
        rows = session.scalars(select(OutboxEvent)).all()
        assert all(r.delivered_at is not None for r in rows) and {r.event_id for r in rows} == {
            *unheard,
            heard,
        }
        assert session.scalar(select(func.count()).select_from(OutboxDelivery)) == 1
    assert worker.run_once() == 0

"""The outbox delivers after commit, retries with backoff, and loses nothing when a worker dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import DomainEvent, EventBus, OutboxEvent, emit
from laotie.core.outbox import OutboxWorker
from laotie.core.uow import unit_of_work

EFFECTS_DDL = "CREATE TABLE IF NOT EXISTS test_effect (event_id VARCHAR(32) PRIMARY KEY, note VARCHAR(50))"


@pytest.fixture
def effects(db: Database) -> Database:
    with db.engine.begin() as conn:
        conn.execute(text(EFFECTS_DDL))
        conn.execute(text("DELETE FROM test_effect"))
    return db


def _effect_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM test_effect")).scalar_one())


@dataclass(frozen=True)
class Happened(DomainEvent):
    topic: ClassVar[str] = "test.happened"
    n: int = 0


def _record(session: Session, ev: Happened) -> None:
    session.execute(text("INSERT INTO test_effect (event_id, note) VALUES (:e, 'done')"), {"e": ev.event_id})


def _emit_one(db: Database) -> str:
    with unit_of_work(db) as session:
        event_id = emit(session, Happened(n=1))
        session.commit()
    return event_id


def _row(db: Database, event_id: str) -> OutboxEvent:
    with unit_of_work(db) as session:
        row = session.scalars(select(OutboxEvent).where(OutboxEvent.event_id == event_id)).one()
        session.expunge(row)
        return row


def test_event_written_in_a_rolled_back_transaction_never_exists(effects: Database) -> None:
    with unit_of_work(effects) as session:
        emit(session, Happened())
        # no commit: the unit of work rolls back
    bus = EventBus()
    bus.subscribe(Happened, _record, name="record")
    assert OutboxWorker(effects, bus).run_once() == 0


def test_delivers_each_handler_once_after_commit(effects: Database) -> None:
    bus = EventBus()
    bus.subscribe(Happened, _record, name="record")
    event_id = _emit_one(effects)
    worker = OutboxWorker(effects, bus)
    worker.run_until_idle()
    worker.run_until_idle()
    assert _effect_count(effects) == 1
    assert _row(effects, event_id).delivered_at is not None


def test_failing_handler_retries_with_backoff_then_succeeds(effects: Database) -> None:
    calls = {"n": 0}
    bus = EventBus()

    def flaky(session: Session, ev: Happened) -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RuntimeError("carrier API down")
        _record(session, ev)

    bus.subscribe(Happened, flaky, name="flaky")
    event_id = _emit_one(effects)
    worker = OutboxWorker(effects, bus)
    worker.run_once()
    row = _row(effects, event_id)
    assert row.attempts == 1 and "carrier API down" in (row.last_error or "")
    assert row.available_at > clock.now()
    assert worker.run_once() == 0  # not due yet: backing off
    with clock.travel(timedelta(seconds=2)):
        worker.run_once()
    with clock.travel(timedelta(seconds=5)):
        worker.run_once()
    assert calls["n"] == 3 and _effect_count(effects) == 1
    assert _row(effects, event_id).delivered_at is not None


def test_gives_up_after_max_attempts(effects: Database) -> None:
    bus = EventBus()

    def broken(session: Session, ev: Happened) -> None:
        raise ValueError("bad payload")

    bus.subscribe(Happened, broken, name="broken")

    event_id = _emit_one(effects)
    worker = OutboxWorker(effects, bus, max_attempts=3)
    for hours in range(4):
        with clock.travel(timedelta(hours=hours)):
            worker.run_once()
    row = _row(effects, event_id)
    assert row.dead_at is not None and row.attempts == 3 and row.delivered_at is None


def test_handler_committed_but_worker_died_before_marking_delivered(effects: Database) -> None:
    bus = EventBus()
    bus.subscribe(Happened, _record, name="record")
    event_id = _emit_one(effects)
    dying = OutboxWorker(effects, bus)
    dying._record_outcomes = lambda evs, errors: None  # type: ignore[method-assign]  # dies right here
    dying.run_once()
    assert _effect_count(effects) == 1 and _row(effects, event_id).delivered_at is None
    with clock.travel(timedelta(seconds=31)):  # the dead worker's lease runs out
        OutboxWorker(effects, bus).run_until_idle()
    assert _effect_count(effects) == 1
    assert _row(effects, event_id).delivered_at is not None


WORKER_SCRIPT = """
import sys, time, pathlib
from sqlalchemy import text
from laotie.core.db import Database
from laotie.core.events import EventBus
from laotie.core.outbox import OutboxWorker
from tests.integration.core.test_outbox import Happened

db = Database(sys.argv[1])
started = pathlib.Path(sys.argv[2])
bus = EventBus()

def record(session, ev):
    session.execute(text("INSERT INTO test_effect (event_id, note) VALUES (:e, 'done')"), {"e": ev.event_id})
    session.flush()
    started.write_text("in handler")
    time.sleep(60)  # killed here: the effect is written but not committed

bus.subscribe(Happened, record, name="record")
OutboxWorker(db, bus).run_once()
"""


def test_worker_killed_mid_delivery_loses_nothing(effects: Database, tmp_path: Path) -> None:
    event_id = _emit_one(effects)
    started = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, effects.url, str(started)])
    try:
        deadline = time.monotonic() + 30
        while not started.exists():
            assert proc.poll() is None, "worker exited before reaching the handler"
            assert time.monotonic() < deadline, "worker never reached the handler"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _effect_count(effects) == 0
    assert _row(effects, event_id).delivered_at is None
    bus = EventBus()
    bus.subscribe(Happened, _record, name="record")
    worker = OutboxWorker(effects, bus)
    assert worker.run_once() == 0  # the dead worker's lease still holds
    with clock.travel(timedelta(seconds=31)):
        worker.run_until_idle()
    assert _effect_count(effects) == 1
    assert _row(effects, event_id).delivered_at is not None


def test_emit_wakes_the_embedded_worker(effects: Database) -> None:
    bus = EventBus()
    bus.subscribe(Happened, _record, name="record")
    worker = OutboxWorker(effects, bus)
    thread, stop = worker.start_thread(poll_seconds=30)
    try:
        time.sleep(0.1)
        _emit_one(effects)
        deadline = time.monotonic() + 5
        while _effect_count(effects) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _effect_count(effects) == 1  # well before the 30 s poll
    finally:
        stop.set()
        worker.wake.set()
        thread.join(timeout=5)


def _passes_for_a_trickle(effects: Database, gather_seconds: float) -> list[int]:
    """Six events committed 30 ms apart to a running worker; the sizes of the runs it delivered."""
    runs: list[int] = []
    bus = EventBus()
    bus.subscribe_many(Happened, lambda _s, evs: runs.append(len(evs)), name="runs")
    worker = OutboxWorker(effects, bus)
    thread, stop = worker.start_thread(poll_seconds=30, gather_seconds=gather_seconds)
    try:
        for _ in range(6):
            _emit_one(effects)
            time.sleep(0.03)
        deadline = time.monotonic() + 5
        while sum(runs) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.wake.set()
        thread.join(timeout=5)
    assert sum(runs) == 6, runs
    return runs


def test_a_busy_worker_lets_a_trickle_of_events_gather_into_runs(effects: Database) -> None:
    """Woken by the first commit, the worker delivers it at once; the rest of a steady trickle
    arrives while it gathers and goes in one or two passes instead of one pass per event."""
    gathered = _passes_for_a_trickle(effects, gather_seconds=0.5)
    assert gathered[0] == 1 and len(gathered) <= 3, gathered


def test_one_failing_event_in_a_pass_rolls_back_alone(effects: Database) -> None:
    """A pass shares one transaction: the failing event's savepoint goes, the others' effects stay,
    and a ``subscribe_many`` handler gets the pass's events in one call, the failed one retried."""
    bus = EventBus()
    batches: list[list[int]] = []

    def picky(session: Session, ev: Happened) -> None:
        _record(session, ev)
        if ev.n == 2:
            raise RuntimeError("not this one")

    bus.subscribe(Happened, picky, name="picky")
    bus.subscribe_many(Happened, lambda s, evs: batches.append([e.n for e in evs]), name="together")
    with unit_of_work(effects) as session:
        ids = [emit(session, Happened(n=n)) for n in (1, 2, 3)]
        session.commit()
    OutboxWorker(effects, bus).run_once()
    assert _effect_count(effects) == 2  # 1 and 3; 2's insert was rolled back with its savepoint
    assert batches == [[1, 3]]  # once, without the event whose earlier handler failed
    first, failed, third = (_row(effects, i) for i in ids)
    assert first.delivered_at is not None and third.delivered_at is not None
    assert (
        failed.delivered_at is None and failed.attempts == 1 and "not this one" in (failed.last_error or "")
    )

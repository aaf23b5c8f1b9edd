"""Periodic jobs (cancel unpaid orders, expire payment intents, settle shops' money).

Each job runs in its own transaction, at most every ``seconds``, in a background thread of the API
process (the embedded default) or of ``laotie worker``. Jobs must be safe to run in several processes
at once: they select work with conditional updates, so two runners never do the same item twice.

On PostgreSQL, with several API processes (``laotie serve --workers N``, several hosts, a ``laotie
worker`` beside them), one process at a time runs the platform's jobs: the one holding a session
advisory lock (``JobsTurn``). The lock goes with its connection, so when that process dies or loses
the database another takes the turn within a tick. Conditional updates remain the guarantee; the
turn keeps N processes from doing every sweep N times and racing each other's providers. A job
that flushes what its own process gathered in memory (impressions, the search query log) is added
with ``everywhere=True`` and runs in every process.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from laotie.core.db import Database
from laotie.core.uow import unit_of_work

log = logging.getLogger(__name__)

Job = Callable[[Session], object]


@dataclass
class _Entry:
    name: str
    seconds: float
    job: Job
    next_run: float = 0.0
    everywhere: bool = False  # runs in every process (it flushes what that process holds)


class JobRegistry:
    """Which jobs run how often; each domain adds its own in its ``register`` (``laotie.bootstrap``)."""

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}

    def add(self, name: str, seconds: float, job: Job, *, everywhere: bool = False) -> None:
        """Schedule ``job``; adding the same job under the same name again changes nothing.
        ``everywhere``: run it in every process, not only in the one whose turn it is."""
        existing = self.entries.get(name)
        if existing is not None:
            if existing.job is not job or existing.seconds != seconds or existing.everywhere != everywhere:
                raise ValueError(f"job name {name!r} is already taken")
            return
        self.entries[name] = _Entry(name, seconds, job, everywhere=everywhere)


jobs = JobRegistry()


def run_due(db: Database, registry: JobRegistry = jobs, *, my_turn: bool = True) -> int:
    """Run every job whose time has come (only the ``everywhere`` ones unless it is this process's
    turn); returns how many ran."""
    ran = 0
    now = time.monotonic()
    for entry in list(registry.entries.values()):
        if entry.next_run > now or not (my_turn or entry.everywhere):
            continue
        entry.next_run = now + entry.seconds
        try:
            with unit_of_work(db) as session:
                entry.job(session)
                session.commit()
            ran += 1
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", entry.name)
    return ran


# pg_try_advisory_lock's key for the jobs' turn (any constant no other lock of the platform uses).
JOBS_LOCK_KEY = 0x1A07_1E00


class JobsTurn:
    """Whether it is this process's turn to run the platform's jobs. SQLite: always (one process
    writes). PostgreSQL: while this holds the advisory lock on its own connection (outside the
    request pool), asked again at every tick."""

    def __init__(self, db: Database) -> None:
        self._engine = None if db.is_sqlite else create_engine(db.url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._held = False

    def mine(self) -> bool:
        if self._engine is None:
            return True
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if self._held:
                self._conn.execute(text("SELECT 1"))  # still connected, so still holding it
            else:
                got = self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": JOBS_LOCK_KEY})
                self._held = bool(got.scalar())
            self._conn.commit()
        except DBAPIError:
            log.warning("jobs: lost the database; giving up the turn", exc_info=True)
            self.release()
        return self._held

    def release(self) -> None:
        """Give the turn up: closing the connection ends its session and with it the lock."""
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()


def start_thread(db: Database, tick_seconds: float = 1.0, registry: JobRegistry = jobs) -> threading.Event:
    stop = threading.Event()

    def loop() -> None:
        turn = JobsTurn(db)
        try:
            while not stop.is_set():
                run_due(db, registry, my_turn=turn.mine())
                stop.wait(tick_seconds)
        finally:
            turn.close()

    threading.Thread(target=loop, name="jobs", daemon=True).start()
    return stop

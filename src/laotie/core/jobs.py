"""Periodic jobs (cancel unpaid orders, expire payment intents, settle shops' money).

Each job runs in its own transaction, at most every ``seconds``, in a background thread of the API
process (the embedded default) or of ``laotie worker``. Jobs must be safe to run in several processes
at once: they select work with conditional updates, so two runners never do the same item twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

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


class JobRegistry:
    """Which jobs run how often; each domain adds its own in its ``register`` (``laotie.bootstrap``)."""

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}

    def add(self, name: str, seconds: float, job: Job) -> None:
        """Schedule ``job``; adding the same job under the same name again changes nothing."""
        existing = self.entries.get(name)
        if existing is not None:
            if existing.job is not job or existing.seconds != seconds:
                raise ValueError(f"job name {name!r} is already taken")
            return
        self.entries[name] = _Entry(name, seconds, job)


jobs = JobRegistry()


def run_due(db: Database, registry: JobRegistry = jobs) -> int:
    """Run every job whose time has come; returns how many ran."""
    ran = 0
    now = time.monotonic()
    for entry in list(registry.entries.values()):
        if entry.next_run > now:
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


def start_thread(db: Database, tick_seconds: float = 1.0, registry: JobRegistry = jobs) -> threading.Event:
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            run_due(db, registry)
            stop.wait(tick_seconds)

    threading.Thread(target=loop, name="jobs", daemon=True).start()
    return stop

"""Flash-sale opening notices (``flash_open``) that survive a restart of the process that created the
sale: every process, when its hub starts, schedules the notice of every flash sale not open yet
(``flash.unopened``), and at the opening moment checks the sale is still worth announcing.

Only one notice per sale: with Redis, every process's timer fires, but each first claims the sale
with ``SET {prefix}flash-open:{id} NX EX`` and only the one that gets it publishes (through the
broker, to every process's viewers). That is one Redis round trip per sale per process, at the
opening; no leader to elect or keep alive, and a process joining late or restarting takes part as
soon as it starts. If the claiming process dies between the claim and its PUBLISH the notice is lost,
which costs little: viewers' pages count down to the start time themselves and the buy path checks
it on the server. Should Redis not answer the claim, the process publishes anyway: a notice twice is
better than none. Without Redis the brokers are per process, so each process announces to its own
viewers and no claim is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any, Protocol

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.live import flash

log = logging.getLogger(__name__)

# How long a claim stays: far past the moment every process's timer fires for the sale.
CLAIM_SECONDS = 24 * 3600


class Publisher(Protocol):
    async def publish(self, session_id: int, message: dict[str, Any]) -> None: ...


class Claim(Protocol):
    async def __call__(self, flash_id: int) -> bool: ...


class RedisOpeningClaim:
    """The first process to claim a sale's opening announces it; the others stay quiet."""

    def __init__(self, client: Any, prefix: str, owner: str) -> None:
        self.client = client
        self.prefix = prefix
        self.owner = owner

    def key(self, flash_id: int) -> str:
        return f"{self.prefix}flash-open:{flash_id}"

    async def __call__(self, flash_id: int) -> bool:
        try:
            return bool(await self.client.set(self.key(flash_id), self.owner, nx=True, ex=CLAIM_SECONDS))
        except Exception:
            log.warning("flash_open claim for %s failed; announcing anyway", flash_id, exc_info=True)
            return True


class OpeningNotices:
    """This process's timers for flash-sale openings, one per sale."""

    def __init__(self, hub: Publisher, db: Database, claim: Claim | None = None) -> None:
        self.hub = hub
        self.db = db
        self.claim = claim
        self.announced = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[bool]] = set()

    async def start(self) -> int:
        """Schedule the notice of every flash sale still to open; how many there were."""
        self._loop = asyncio.get_running_loop()
        pending = await self._loop.run_in_executor(None, self._unopened)
        for sale in pending:
            self.schedule(sale.flash_id, sale.starts_at)
        return len(pending)

    def schedule(self, flash_id: int, starts_at: datetime) -> None:
        """Announce ``flash_id`` at ``starts_at`` (on this process's event loop; replaces an earlier
        timer for the same sale, so scheduling twice announces once)."""
        if self._loop is None:
            return
        old = self._timers.pop(flash_id, None)
        if old is not None:
            old.cancel()
        delay = max(0.0, (starts_at - clock.now()).total_seconds())
        self._timers[flash_id] = self._loop.call_later(delay, self._due, flash_id)

    def pending(self) -> set[int]:
        return set(self._timers)

    def _due(self, flash_id: int) -> None:
        self._timers.pop(flash_id, None)
        assert self._loop is not None
        task = self._loop.create_task(self.announce(flash_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def announce(self, flash_id: int) -> bool:
        """Publish ``flash_open`` if the sale still opens (not closed, session not ended) and this
        process won the claim. Whether it published."""
        try:
            loop = asyncio.get_running_loop()
            sale = await loop.run_in_executor(None, self._still_opening, flash_id)
            if sale is None:
                return False
            if self.claim is not None and not await self.claim(flash_id):
                return False
            message = {"type": "flash_open", "flash_id": flash_id, "remaining": sale.remaining}
            await self.hub.publish(sale.session_id, message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("flash_open notice for %s failed", flash_id)
            return False
        self.announced += 1
        return True

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _unopened(self) -> list[flash.PendingOpening]:
        with unit_of_work(self.db, read_only=True) as session:
            return flash.unopened(session)

    def _still_opening(self, flash_id: int) -> flash.PendingOpening | None:
        with unit_of_work(self.db, read_only=True) as session:
            return flash.still_opening(session, flash_id)

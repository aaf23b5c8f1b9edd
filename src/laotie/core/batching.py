"""Group commit for any write route: concurrent requests share one transaction, each in a savepoint.

The pattern of order placement (``orders.batcher``), made general for routes whose work is a plain
function of a session: requests queue while the previous batch is being written; the next batch takes
all of them (up to ``max_batch``) into one transaction on one writer thread. Each request runs inside
its own savepoint, so one that fails (a bad webhook, a payment already made) is rolled back alone and
gets its own error while the others commit. Callers are answered only after the commit, so a 2xx
still means "kept".

At low load a batch is one request and nothing waits. Under load the cost of a commit (an fsync on
SQLite, a round trip and a WAL flush on PostgreSQL) and of SQLite's single write lock is paid once
per batch instead of once per request, and requests never queue for the write lock in a thread each.

A batched route must hold no session of its own while it waits (no ``DbSession``, no dependency
that looks a token up in the database: ``CachedUser`` or ``NoPrincipal`` instead): on SQLite that
session's transaction would hold the write lock the batch needs.

A database error other than the request's own (a deadlock, a serialisation failure, a failed
commit) rolls the whole batch back; each request is then run again alone, in a transaction of its
own, so that a conflict decides only the request it belongs to.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.uow import take_actions, unit_of_work

log = logging.getLogger(__name__)

T = TypeVar("T")
# The request's work: runs in the batch's session, flushes, never commits.
Work = Callable[[Session], T]

_AFTER_COMMIT = "laotie.after_commit"
_IF_NOT_COMMITTED = "laotie.if_not_committed"


@dataclass
class _Pending(Generic[T]):
    work: Work[T]
    future: asyncio.Future[T]


@dataclass
class _Done:
    """One request's outcome: its value, or the exception that rolled its savepoint back."""

    value: Any = None
    error: BaseException | None = None


class _BatchConflict(Exception):
    """A database error that is not one request's own: the batch is retried request by request."""


class GroupCommit:
    def __init__(self, db: Database, name: str, max_batch: int = 256) -> None:
        self.db = db
        self.name = name
        self.max_batch = max_batch
        self._queue: list[_Pending[Any]] = []
        self._running = False
        self._drainer: asyncio.Task[None] | None = None
        # What the batches looked like (for tests and benchmarks): how many, and each one's size.
        self.batch_sizes: list[int] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-writer")

    async def run(self, work: Work[T]) -> T:
        """Run ``work`` in the next batch's transaction; its result once committed, or its error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Pending(work, future))
        if not self._running:
            self._running = True
            self._drainer = loop.create_task(self._drain())  # a reference keeps the task alive
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
                try:
                    done, actions = await loop.run_in_executor(self._writer, self._write, batch)
                except Exception as exc:  # never leave a caller hanging
                    log.exception("%s batch failed", self.name)
                    done, actions = [_Done(error=exc) for _ in batch], []
                await _run_actions(actions)
                for pending, outcome in zip(batch, done, strict=True):
                    if pending.future.done():
                        continue
                    if outcome.error is not None:
                        pending.future.set_exception(outcome.error)
                    else:
                        pending.future.set_result(outcome.value)
        finally:
            self._running = False

    def _write(self, batch: list[_Pending[Any]]) -> tuple[list[_Done], list[Any]]:
        try:
            return self._write_together(batch)
        except (_BatchConflict, DBAPIError):
            log.warning("%s batch of %d failed; retrying one by one", self.name, len(batch), exc_info=True)
            done: list[_Done] = []
            actions: list[Any] = []
            for pending in batch:
                try:
                    (one,), after = self._write_together([pending])
                except _BatchConflict as conflict:
                    one, after = _Done(error=conflict.__cause__ or conflict), []
                except DBAPIError as exc:
                    one, after = _Done(error=exc), []
                done.append(one)
                actions += after
            return done, actions

    def _write_together(self, batch: list[_Pending[Any]]) -> tuple[list[_Done], list[Any]]:
        with unit_of_work(self.db) as session:
            done = [self._attempt(session, pending.work) for pending in batch]
            session.commit()
            return done, take_actions(session, committed=True)

    @staticmethod
    def _attempt(session: Session, work: Work[Any]) -> _Done:
        # What the request registers to run after commit is dropped with its savepoint if it fails.
        kept = {key: len(session.info.get(key, [])) for key in (_AFTER_COMMIT, _IF_NOT_COMMITTED)}
        try:
            with session.begin_nested():
                return _Done(value=work(session))
        except DBAPIError as exc:
            # A deadlock or a lock timeout may be caused by the locks earlier requests of this batch
            # hold: it is decided again with the request alone.
            raise _BatchConflict(str(exc)) from exc
        except Exception as exc:
            for key, n in kept.items():
                if key in session.info:
                    del session.info[key][n:]
            return _Done(error=exc)
        finally:
            # Each request starts from an empty identity map: its rows are flushed by now, and an
            # ORM-enabled UPDATE (ledger balances, order moves) looks through every object the session
            # holds, which would make a batch's cost grow with the square of its size.
            session.expunge_all()

    def close(self) -> None:
        self._writer.shutdown(wait=True)


async def _run_actions(actions: list[Any]) -> None:
    for action in actions:
        try:
            if inspect.iscoroutinefunction(action):
                await action()
            else:
                await run_in_threadpool(action)
        except Exception:  # the batch is committed; one action's failure must not fail the others
            log.exception("after-commit action failed")


def group_commit(app: Any, name: str) -> GroupCommit:
    """The app's batcher called ``name``, made on first use (one writer thread per name)."""
    batchers: dict[str, GroupCommit] | None = getattr(app.state, "group_commits", None)
    if batchers is None:
        batchers = {}
        app.state.group_commits = batchers
    if name not in batchers:
        batchers[name] = GroupCommit(app.state.db, name)
    return batchers[name]


def close_group_commits(app: Any) -> None:
    """At shutdown: let each batcher finish its batch and stop its writer thread."""
    for batcher in getattr(app.state, "group_commits", {}).values():
        batcher.close()

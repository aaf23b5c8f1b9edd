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

Set-based batches (``run_item``): a route may hand over a plain item instead of a function, with a
``BatchFn`` that applies every item of the batch at once (a few statements for all of them instead
of a few per request: the signed payment webhooks). The items queue with the other requests and
share their transaction; the batch function is called once per batch with all its items, in the
order they came, and returns one entry per item: the item's value, or an exception that becomes its
caller's error. What the function wrote for an item it answers with an error stays unless the
function undid it (``attempt`` runs a piece of work in a savepoint of its own, as a plain request is
run). The rest of the contract is the one above: answered only after the commit; a database error
rolls the whole batch back and every item is run again alone (``batch_fn(session, [item])`` in a
transaction of its own); any other exception raised by the batch function rolls back what it wrote
and each of its items is run again alone, in a savepoint of its own, so a bug in the fast path is one
item's error, not the batch's.
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
# Every item of a batch at once: one entry per item, in order, its value or the exception that is its
# error. Runs in the batch's session, flushes, never commits. Give a module-level function: items
# are grouped by the function object itself.
BatchFn = Callable[[Session, list[Any]], list[Any]]

_AFTER_COMMIT = "laotie.after_commit"
_IF_NOT_COMMITTED = "laotie.if_not_committed"


@dataclass
class _Pending(Generic[T]):
    work: Work[T] | None  # a request's own work, or None for an item of ``batch_fn``
    future: asyncio.Future[T]
    batch_fn: BatchFn | None = None
    item: Any = None


@dataclass
class Done:
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
        return await self._submit(_Pending(work, asyncio.get_running_loop().create_future()))

    async def run_item(self, batch_fn: BatchFn, item: Any) -> Any:
        """Give ``item`` to ``batch_fn`` with the other items of the next batch; the entry the function
        returned for it once committed, raised if it is an exception."""
        loop = asyncio.get_running_loop()
        return await self._submit(_Pending(None, loop.create_future(), batch_fn, item))

    async def _submit(self, pending: _Pending[T]) -> T:
        loop = asyncio.get_running_loop()
        future = pending.future
        self._queue.append(pending)
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
                    done, actions = [Done(error=exc) for _ in batch], []
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

    def _write(self, batch: list[_Pending[Any]]) -> tuple[list[Done], list[Any]]:
        try:
            return self._write_together(batch)
        except (_BatchConflict, DBAPIError):
            log.warning("%s batch of %d failed; retrying one by one", self.name, len(batch), exc_info=True)
            done: list[Done] = []
            actions: list[Any] = []
            for pending in batch:
                try:
                    (one,), after = self._write_together([pending])
                except _BatchConflict as conflict:
                    one, after = Done(error=conflict.__cause__ or conflict), []
                except DBAPIError as exc:
                    one, after = Done(error=exc), []
                done.append(one)
                actions += after
            return done, actions

    def _write_together(self, batch: list[_Pending[Any]]) -> tuple[list[Done], list[Any]]:
        with unit_of_work(self.db) as session:
            done: dict[int, Done] = {}
            for i, pending in enumerate(batch):
                if i in done:
                    continue
                if pending.work is not None:
                    done[i] = attempt(session, pending.work)
                    continue
                # Every item of this batch function, wherever it stands in the queue, in one call.
                group = [j for j in range(i, len(batch)) if batch[j].batch_fn is pending.batch_fn]
                done.update(
                    zip(
                        group,
                        _run_batch_fn(session, pending.batch_fn, [batch[j].item for j in group]),
                        strict=True,
                    )
                )
            session.commit()
            return [done[i] for i in range(len(batch))], take_actions(session, committed=True)

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def attempt(session: Session, work: Work[Any]) -> Done:
    """Run ``work`` in a savepoint of its own: its value, or the error that rolled it back (and dropped
    what it registered to run after commit). A database error is not one request's own: it is raised
    (as the batch's conflict) so the whole batch is run again request by request. For batch functions,
    to run an item the slow way exactly as a plain request is run."""
    kept = {key: len(session.info.get(key, [])) for key in (_AFTER_COMMIT, _IF_NOT_COMMITTED)}
    try:
        with session.begin_nested():
            return Done(value=work(session))
    except DBAPIError as exc:
        # A deadlock or a lock timeout may be caused by the locks earlier requests of this batch
        # hold: it is decided again with the request alone.
        raise _BatchConflict(str(exc)) from exc
    except _BatchConflict:
        raise
    except Exception as exc:
        for key, n in kept.items():
            if key in session.info:
                del session.info[key][n:]
        return Done(error=exc)
    finally:
        # Each request starts from an empty identity map: its rows are flushed by now, and an
        # ORM-enabled UPDATE (ledger balances, order moves) looks through every object the session
        # holds, which would make a batch's cost grow with the square of its size.
        session.expunge_all()


def _run_batch_fn(session: Session, batch_fn: BatchFn | None, items: list[Any]) -> list[Done]:
    assert batch_fn is not None
    entries = attempt(session, lambda s: batch_fn(s, items))
    if entries.error is not None:
        if len(items) == 1:
            return [Done(error=entries.error)]
        # A bug or a surprise in the set-based path: what it wrote is rolled back; each item is then
        # run alone, so the error stays with the item that has it.
        log.error(
            "batch function %s failed on %d items; running them one by one",
            batch_fn,
            len(items),
            exc_info=entries.error,
        )
        return [_run_batch_fn(session, batch_fn, [item])[0] for item in items]
    values = list(entries.value)
    if len(values) != len(items):
        raise RuntimeError(f"{batch_fn} returned {len(values)} entries for {len(items)} items")
    return [Done(error=v) if isinstance(v, BaseException) else Done(value=v) for v in values]


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

"""Group commit for order placement: concurrent buyers share one transaction.

Requests queue up while the previous batch is being written; the next batch takes all of them (up to
``max_batch``). At low load a batch is one request and nothing waits; in a flash sale hundreds of
buyers of the same SKU are decided by one read of its stock and one write. One writer thread is
enough: SQLite has a single writer anyway, and on PostgreSQL the hot SKU's row lock would serialise
parallel writers just the same. On PostgreSQL a batch first takes its stock last (``place_batch``'s
optimistic way): with several API processes their batches then hold the hot row for two statements
each instead of a whole transaction; a batch that finds the units gone is decided again, locked.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import anyio.from_thread
from sqlalchemy.exc import DBAPIError

from laotie.catalog.errors import STOCK_CONFLICT
from laotie.core.db import Database
from laotie.core.errors import INTERNAL, AppError
from laotie.core.uow import unit_of_work
from laotie.orders.placement import place_batch
from laotie.orders.placement_prepare import prepare
from laotie.orders.placement_types import Outcome, PlaceRequest, Wanted
from laotie.orders.schemas import CheckoutIn, PriceOverride

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    wanted: Wanted
    future: asyncio.Future[Outcome]


class PlacementBatcher:
    def __init__(self, db: Database, max_batch: int = 256) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: list[_Pending] = []
        self._running = False
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="order-writer")

    async def place(
        self, buyer_id: int, body: CheckoutIn, idempotency_key: str, override: PriceOverride | None = None
    ) -> Outcome:
        """The placement entry of every route that places: wait for the batch that decides this one."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(Wanted(buyer_id, body, idempotency_key, override), future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    def place_from_thread(self, buyer_id: int, body: CheckoutIn, idempotency_key: str) -> Outcome:
        """``place`` for a synchronous route (run in the server's thread pool): the thread waits while
        the event loop batches. The caller must hold no write transaction meanwhile (on SQLite the
        batch would wait for its lock)."""
        return anyio.from_thread.run(self.place, buyer_id, body, idempotency_key)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                try:
                    outcomes = await loop.run_in_executor(self._writer, self._write, batch)
                except Exception as exc:  # never leave a buyer hanging
                    log.exception("order batch failed")
                    outcomes = [Outcome(error=_internal(exc)) for _ in batch]
                for pending, outcome in zip(batch, outcomes, strict=True):
                    if not pending.future.done():
                        pending.future.set_result(outcome)
        finally:
            self._running = False

    def _write(self, batch: list[_Pending]) -> list[Outcome]:
        try:
            return self._write_together(batch)
        except DBAPIError:
            # A key claimed by another process meanwhile, a deadlock: decide each request on its own.
            log.warning("order batch of %d failed; retrying one by one", len(batch), exc_info=True)
            return [self._write_alone(p) for p in batch]

    def _write_alone(self, pending: _Pending) -> Outcome:
        try:
            return self._write_together([pending])[0]
        except DBAPIError as exc:
            log.exception("order placement failed")
            return Outcome(error=_internal(exc))

    def _write_together(self, batch: list[_Pending]) -> list[Outcome]:
        if self.db.is_sqlite:  # one writer: nothing can change under a batch
            return self._write_batch(batch, optimistic=False)
        try:
            return self._write_batch(batch, optimistic=True)
        except AppError as exc:
            if exc.kind is not STOCK_CONFLICT:
                raise
            # Another process sold units after this batch read the stock: decide it again, locked.
            return self._write_batch(batch, optimistic=False)

    def _write_batch(self, batch: list[_Pending], *, optimistic: bool) -> list[Outcome]:
        with unit_of_work(self.db) as session:
            outcomes: dict[int, Outcome] = {}
            requests: list[tuple[int, PlaceRequest]] = []
            for i, prepared in enumerate(prepare(session, [p.wanted for p in batch])):
                if isinstance(prepared, AppError):
                    outcomes[i] = Outcome(error=prepared)
                else:
                    requests.append((i, prepared))
            placed = place_batch(session, [r for _, r in requests], optimistic=optimistic) if requests else []
            session.commit()
        for (i, _), outcome in zip(requests, placed, strict=True):
            outcomes[i] = outcome
        return [outcomes[i] for i in range(len(batch))]

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def _internal(exc: Exception) -> AppError:
    return INTERNAL(reason=type(exc).__name__)

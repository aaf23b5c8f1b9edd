"""Group commit for order placement: concurrent buyers share one transaction.

Requests queue up while the previous batch is being written; the next batch takes all of them (up to
``max_batch``). At low load a batch is one request and nothing waits; in a flash sale hundreds of
buyers of the same SKU are decided by one read of its stock and one write. One writer thread is
enough: SQLite has a single writer anyway, and on PostgreSQL the hot SKU's row lock would serialise
parallel writers just the same.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from laotie.addresses import errors as address_errors
from laotie.addresses import service as addresses
from laotie.core.db import Database
from laotie.core.errors import INTERNAL, AppError
from laotie.core.uow import unit_of_work
from laotie.orders import attribution, errors, paylater
from laotie.orders.models import PayMode
from laotie.orders.placement import Outcome, PlaceRequest, place_batch
from laotie.orders.schemas import CheckoutIn, PriceOverride

log = logging.getLogger(__name__)


def prepare_many(
    session: Session, wanted: list[tuple[int, CheckoutIn, str]]
) -> list[PlaceRequest | AppError]:
    """``service.prepare`` for a batch of (buyer_id, body, idempotency key): the same checks in the
    same order, with every buyer's address read in one query. Each gets its request or its error."""
    found = addresses.snapshots(session, [(buyer_id, body.address_id) for buyer_id, body, _ in wanted])
    prepared: list[PlaceRequest | AppError] = []
    for buyer_id, body, key in wanted:
        try:
            if not key or len(key) > 100:
                raise errors.IDEMPOTENCY_KEY_REQUIRED()
            snapshot = found.get((buyer_id, body.address_id))
            if snapshot is None:
                raise address_errors.ADDRESS_NOT_FOUND(address_id=body.address_id)
            verified = attribution.check(session, body)
            pay_later_ok = False
            if body.pay_mode == PayMode.PAY_LATER:
                paylater.require_eligible(session, buyer_id, [line.sku_id for line in body.lines])
                pay_later_ok = True
            prepared.append(
                PlaceRequest(
                    buyer_id, body, snapshot.model_dump(mode="json"), key, pay_later_ok, verified=verified
                )
            )
        except AppError as exc:
            prepared.append(exc)
    return prepared


@dataclass
class _Pending:
    buyer_id: int
    body: CheckoutIn
    idempotency_key: str
    future: asyncio.Future[Outcome]
    override: PriceOverride | None = None


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
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(buyer_id, body, idempotency_key, future, override))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

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
        with unit_of_work(self.db) as session:
            outcomes: dict[int, Outcome] = {}
            requests: list[tuple[int, PlaceRequest]] = []
            wanted = [(p.buyer_id, p.body, p.idempotency_key) for p in batch]
            for i, prepared in enumerate(prepare_many(session, wanted)):
                if isinstance(prepared, AppError):
                    outcomes[i] = Outcome(error=prepared)
                else:
                    prepared.override = batch[i].override
                    requests.append((i, prepared))
            placed = place_batch(session, [r for _, r in requests]) if requests else []
            session.commit()
        for (i, _), outcome in zip(requests, placed, strict=True):
            outcomes[i] = outcome
        return [outcomes[i] for i in range(len(batch))]

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def _internal(exc: Exception) -> AppError:
    return INTERNAL(reason=type(exc).__name__)

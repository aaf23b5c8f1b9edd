"""Placing orders: the one path from "buy" to reserved stock, for the API's checkout and 立即购买, the
live flash sale and the web checkout alike (all through ``batcher.PlacementBatcher``; a job that buys
inside its own transaction calls ``place_batch`` with a batch of one).

It works on a batch of requests in one transaction, because in a live flash sale thousands of buyers
tap the same SKU within a second: reading the SKU once, deciding every request in memory in arrival
order, and writing stock once per SKU keeps the hot row's lock short.

Each request is decided on its own: a stale price, an unsellable SKU, a purchase limit or sold-out
stock fails that request only. Idempotency keys are stored with the answer in the same transaction.
The steps, each in its own module, pass frozen values (``placement_types``):

1. replay: a key used before gets its stored answer (or IDEMPOTENCY_KEY_REUSED), here;
2. check and allocate: lines, shipping, stock, purchase limits, flash-sale units (``placement_allocation``);
3. price: promotions and their claims (``pricing``);
4. money: each line's discount, each order's payable, the checkout's total, once (``placement_money``);
5. write: stock, quotas, checkouts, orders, lines, trail, events (``placement_rows``);
6. remember: each new answer under its key, here.

Two ways to hold the SKUs (figures: docs/benchmarks.md, issue 15). ``locked``: the SKUs are read ``FOR UPDATE``
and their stock taken first, so nothing can change under the batch; every batch of every process
then waits on the hot SKU's row for the whole of another's transaction (some twenty round trips).
``optimistic`` (PostgreSQL, the batcher's first try): the SKUs are read without a lock, everything is
decided and written, and the stock is taken by the conditional update last, just before the commit,
so the row is held for two statements. If another process sold units meanwhile, the update finds
fewer than the batch took and raises STOCK_CONFLICT; the caller rolls back and decides the batch
again, locked. A sold-out SKU is refused on the unlocked read without taking any lock: the read sees
every unit given back (a cancelled order) that committed before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.idempotency import IDEMPOTENCY_KEY_REUSED, IdempotencyRecord
from laotie.orders import errors, placement_allocation, placement_money, placement_rows, pricing, shipping
from laotie.orders.models import PayMode
from laotie.orders.placement_types import Outcome, PlaceRequest, Plan
from laotie.orders.schemas import PlacedCheckout

__all__ = ["Outcome", "PlaceRequest", "place_batch"]

_IDEMPOTENCY = cast(Table, IdempotencyRecord.__table__)


def _replays(session: Session, requests: list[PlaceRequest]) -> dict[tuple[str, str], tuple[str, Any]]:
    """The stored (request hash, answer) of every key in the batch that was used before."""
    keys = {(r.scope, r.idempotency_key) for r in requests}
    rows = session.execute(
        select(
            IdempotencyRecord.scope,
            IdempotencyRecord.key,
            IdempotencyRecord.request_hash,
            IdempotencyRecord.response,
        ).where(
            IdempotencyRecord.scope.in_(bindparam("scopes", expanding=True)),
            IdempotencyRecord.key.in_(bindparam("keys", expanding=True)),
        ),
        {"scopes": sorted({s for s, _ in keys}), "keys": sorted({k for _, k in keys})},
    ).all()
    return {(scope, key): (digest, response) for scope, key, digest, response in rows if (scope, key) in keys}


def _remember(
    session: Session, requests: list[PlaceRequest], outcomes: dict[int, Outcome], now: datetime
) -> None:
    """Store each answer placed now under its key, in the placement's own transaction."""
    records = [
        {
            "scope": r.scope,
            "key": r.idempotency_key,
            "request_hash": r.digest,
            "status_code": 201,
            "response": placed.model_dump(mode="json"),
            "created_at": now,
        }
        for i, r in enumerate(requests)
        if i in outcomes and (placed := outcomes[i].placed) is not None and not outcomes[i].replayed
    ]
    if records:
        session.execute(insert(_IDEMPOTENCY), records)


def place_batch(session: Session, requests: list[PlaceRequest], *, optimistic: bool = False) -> list[Outcome]:
    """Decide and write a batch of placements in the caller's transaction (the caller commits).
    ``optimistic``: take the stock last, unlocked until then; may raise STOCK_CONFLICT (see above)."""
    now = clock.now()
    outcomes: dict[int, Outcome] = {}
    stored = _replays(session, requests)
    first_of: dict[tuple[str, str], int] = {}
    plans: list[Plan] = []
    skus = catalog.skus_for_sale(
        session, sorted({line.sku_id for r in requests for line in r.body.lines}), lock=not optimistic
    )
    quoter = shipping.quoter_for(session, skus.values())
    for i, req in enumerate(requests):
        key = (req.scope, req.idempotency_key)
        record = stored.get(key)
        if record is not None:
            if record[0] != req.digest:
                outcomes[i] = Outcome(error=IDEMPOTENCY_KEY_REUSED(key=req.idempotency_key))
            else:
                outcomes[i] = Outcome(placed=PlacedCheckout.model_validate(record[1]), replayed=True)
            continue
        if key in first_of:  # the same request twice in one batch: answered like a retry, below
            continue
        first_of[key] = i
        try:
            if req.body.pay_mode == PayMode.PAY_LATER and not req.pay_later_ok:
                raise errors.PAY_LATER_NOT_ELIGIBLE(reason="未通过资格检查")
            lines = placement_allocation.check_lines(req, skus)
            plans.append(Plan(i, req, lines, shipping.shipping_by_shop(quoter, list(lines), req.address)))
        except AppError as exc:
            outcomes[i] = Outcome(error=exc)
    quotas = placement_allocation.held_quotas(session, plans)
    allocated, refused = placement_allocation.allocate(plans, skus, quotas)
    claimed, refused_claims = placement_allocation.claim_overrides(session, allocated)
    priced, refused_prices = pricing.price_plans(session, claimed, now)
    for index, error in (refused | refused_claims | refused_prices).items():
        outcomes[index] = Outcome(error=error)
    accepted = [placement_money.accept(p, priced.get(p.index)) for p in claimed if p.index not in outcomes]
    if accepted:
        written = placement_rows.write(session, accepted, quotas, now, stock_last=optimistic)
        for a, placed in zip(accepted, written, strict=True):
            outcomes[a.plan.index] = Outcome(placed=placed)
    _remember(session, requests, outcomes, now)
    if optimistic and accepted:
        placement_rows.take_stock_and_quotas(session, accepted, quotas)
    for i, req in enumerate(requests):
        first = first_of.get((req.scope, req.idempotency_key))
        if i not in outcomes and first is not None:
            original = outcomes[first]
            same = requests[first].digest == req.digest
            outcomes[i] = (
                Outcome(placed=original.placed, error=original.error, replayed=True)
                if same
                else Outcome(error=IDEMPOTENCY_KEY_REUSED(key=req.idempotency_key))
            )
    return [outcomes[i] for i in range(len(requests))]

"""The batcher's two ways of holding a SKU (``orders.placement``): on PostgreSQL a batch reads the
stock unlocked and takes it last; when units went elsewhere after the read it is decided again,
locked, and still sells exactly what is there. On SQLite every batch is decided locked."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import Sku
from laotie.core.db import Database
from laotie.core.idempotency import IdempotencyRecord
from laotie.orders import placement
from laotie.orders.batcher import PlacementBatcher
from laotie.orders.models import Order
from laotie.orders.placement_types import Outcome
from tests.factories.orders import checkout_body, make_buyer, make_on_sale


def _reads(monkeypatch: pytest.MonkeyPatch, stale_by: int = 0, stale_price: int | None = None) -> list[bool]:
    """Record the ``lock`` of every read placement makes of the SKUs; an unlocked read sees
    ``stale_by`` more units than there are (as if another process sold them just after), and the
    price ``stale_price`` (as if the merchant changed it just after)."""
    seen: list[bool] = []
    real = catalog.skus_for_sale

    def reading(session: Session, sku_ids: list[int], *, lock: bool | None = None) -> Any:
        if lock is None:  # the attribution's look at the products, not placement's decision
            return real(session, sku_ids)
        seen.append(lock)
        found = real(session, sku_ids, lock=lock)
        if lock or not (stale_by or stale_price):
            return found
        return {
            i: replace(s, stock=s.stock + stale_by, price_fen=stale_price or s.price_fen)
            for i, s in found.items()
        }

    monkeypatch.setattr(placement.catalog, "skus_for_sale", reading)
    return seen


def _rush(db: Database, wanted: list[tuple[int, Any, str]]) -> list[Outcome]:
    batcher = PlacementBatcher(db)

    async def all_at_once() -> list[Outcome]:
        return await asyncio.gather(*(batcher.place(b, body, k) for b, body, k in wanted))

    try:
        return asyncio.run(all_at_once())
    finally:
        batcher.close()


def _setup(session: Session, stock: int, buyers: int) -> tuple[int, list[tuple[int, Any, str]]]:
    sale = make_on_sale(session, stock=stock, price_fen=990)
    people = [make_buyer(session) for _ in range(buyers)]
    session.commit()
    return sale.sku_id, [(b.user_id, checkout_body(b, (sale, 1)), f"opt-{b.user_id}") for b in people]


def test_units_gone_after_the_read_are_decided_again_locked(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku_id, wanted = _setup(session, stock=5, buyers=8)
    reads = _reads(monkeypatch, stale_by=10)  # the unlocked read believes 15 units are there

    outcomes = _rush(db, wanted)

    assert sum(o.placed is not None for o in outcomes) == 5
    assert {o.error.code for o in outcomes if o.error is not None} == {"OUT_OF_STOCK"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 5
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 5
    assert catalog.skus_for_sale(session, [sku_id])[sku_id].stock == 0
    if db.is_sqlite:
        assert reads == [True]
    else:  # optimistic first; its update found 5 < 8 units, rolled back, decided again locked
        assert reads == [False, True]


def test_a_batch_that_finds_its_units_takes_no_lock_before_its_last_statement(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku_id, wanted = _setup(session, stock=5, buyers=8)
    reads = _reads(monkeypatch)

    outcomes = _rush(db, wanted)

    assert sum(o.placed is not None for o in outcomes) == 5
    session.rollback()
    assert catalog.skus_for_sale(session, [sku_id])[sku_id].stock == 0
    assert reads == ([True] if db.is_sqlite else [False])


def test_a_price_changed_after_the_read_is_not_sold_at_the_old_price(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sku_id, wanted = _setup(session, stock=5, buyers=3)  # the buyers saw, and ask for, ¥9.90
    session.execute(update(Sku).where(Sku.id == sku_id).values(price_fen=1290))
    session.commit()
    reads = _reads(monkeypatch, stale_price=990)  # the unlocked read still sees ¥9.90

    outcomes = _rush(db, wanted)

    assert {o.error.code for o in outcomes if o.error is not None} == {"PRICE_CHANGED"}
    assert all(o.placed is None for o in outcomes)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert catalog.skus_for_sale(session, [sku_id])[sku_id].stock == 5
    # PostgreSQL: the stock update required ¥9.90, found ¥12.90, and the batch was decided again locked
    assert reads == ([True] if db.is_sqlite else [False, True])

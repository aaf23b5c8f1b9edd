"""Concurrent price changes on one product queue on the product row, so its summary stays right."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from tests.factories.catalog import make_product, owner_principal
from tests.factories.races import Attempt, race
from tests.factories.shops import make_open_shop


def test_concurrent_price_changes_keep_min_price_and_history_consistent(
    db: Database, session: Session
) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(
        session, shop_id, colours=["红", "黑", "白", "灰"], sizes=["S", "M"], price_fen=10_000
    )
    owner = owner_principal(session, shop_id)
    session.close()
    rounds = 5

    def reprice(sku_id: int, base: int) -> Attempt:
        def rounds_of(s: Session) -> None:
            for i in range(rounds):  # each new price in its own transaction
                catalog.set_sku_price(s, owner, sku_id, base - i)
                s.commit()

        return rounds_of

    attempts = [reprice(sku.id, 5_000 + 10 * n) for n, sku in enumerate(product.skus)]
    assert race(db, attempts) == ["ok"] * len(attempts)
    with unit_of_work(db) as s:
        out = catalog.get_product(s, owner, product.id)
        assert out.min_price_fen == min(sku.price_fen for sku in out.skus) == 5_000 - (rounds - 1)
        for sku in out.skus:
            history = catalog.price_history(s, sku.id)
            assert len(history) == rounds + 1
            assert all(a.new_price_fen == b.old_price_fen for a, b in itertools.pairwise(history))

"""House rule 5 on both databases: concurrent buyers never oversell and never pass their limit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.db import Database
from laotie.orders import service as orders
from laotie.orders.models import Order
from tests.factories.orders import Buyer, checkout_body, key, make_buyer, make_on_sale
from tests.factories.races import Attempt, race


def _race(db: Database, attempts: list[tuple[Buyer, object]], threads: int) -> list[str]:
    """Run every attempt (buyer, body) at once from ``threads`` threads; returns each outcome's code."""

    def buy(buyer: Buyer, body: object) -> Attempt:
        return lambda s: orders.checkout(s, buyer.principal, body, key())  # type: ignore[arg-type]

    return race(db, [buy(b, body) for b, body in attempts], threads=threads, ok="placed")


def test_200_buyers_for_50_units_make_exactly_50_orders(db: Database, session: Session) -> None:
    hot = make_on_sale(session, stock=50, price_fen=100)
    buyers = [make_buyer(session) for _ in range(200)]
    outcomes = _race(db, [(b, checkout_body(b, (hot, 1))) for b in buyers], threads=40)
    assert len(outcomes) == 200
    assert outcomes.count("placed") == 50
    assert set(outcomes) == {"placed", "OUT_OF_STOCK"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 50
    assert catalog.skus_for_sale(session, [hot.sku_id])[hot.sku_id].stock == 0


def test_one_buyer_racing_against_a_limit_of_2_gets_2(db: Database, session: Session) -> None:
    limited = make_on_sale(session, stock=100, purchase_limit=2)
    buyer = make_buyer(session)
    outcomes = _race(db, [(buyer, checkout_body(buyer, (limited, 1))) for _ in range(20)], threads=20)
    assert len(outcomes) == 20
    assert outcomes.count("placed") == 2
    assert set(outcomes) == {"placed", "PURCHASE_LIMIT_EXCEEDED"}
    session.rollback()
    assert catalog.skus_for_sale(session, [limited.sku_id])[limited.sku_id].stock == 98

"""Budgets and coupon limits under 100 parallel checkouts and claims, each in its own session
(threads; on PostgreSQL they truly race, on SQLite the writer lock queues them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.db import Database
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderLine
from laotie.orders.schemas import CheckoutIn
from laotie.promotions import service as promotions
from laotie.promotions.models import Budget, BuyerCoupon, Coupon
from tests.factories.orders import Buyer, checkout_body, key, make_buyer, make_on_sale
from tests.factories.promotions import claim, platform_coupon, shop_coupon
from tests.factories.races import race

THREADS = 25


def _claim(buyer: Buyer, coupon_id: int, session: Session) -> object:
    return promotions.claim(session, buyer.principal, coupon_id)


def _buy(buyer: Buyer, body: CheckoutIn, session: Session) -> object:
    return orders.checkout(session, buyer.principal, body, key())


def _race(db: Database, attempts: list[Callable[[Session], object]]) -> list[str]:
    return race(db, attempts, threads=THREADS)


def test_100_checkouts_never_overspend_a_platform_budget(db: Database, session: Session) -> None:
    first = make_on_sale(session, price_fen=10000, stock=50)
    sales = [first] + [
        make_on_sale(session, price_fen=10000, stock=50, shop_id=first.shop_id) for _ in range(9)
    ]
    coupon = platform_coupon(session, threshold_fen=0, cut_fen=500, budget_fen=10_000, total=1000)
    buyers = [make_buyer(session) for _ in range(100)]
    wallets = [claim(session, b.principal, coupon.id).id for b in buyers]
    bodies = [
        checkout_body(b, (sales[i % len(sales)], 1)).model_copy(update={"coupon_ids": [w]})
        for i, (b, w) in enumerate(zip(buyers, wallets, strict=True))
    ]

    def attempt(i: int) -> Callable[[Session], object]:
        return lambda s: orders.checkout(s, buyers[i].principal, bodies[i], key())

    outcomes = _race(db, [attempt(i) for i in range(100)])
    assert len(outcomes) == 100
    assert outcomes.count("ok") == 20  # 10_000 / 500
    assert set(outcomes) == {"ok", "SUBSIDY_BUDGET_EXHAUSTED"}
    session.rollback()
    budget = session.get(Budget, coupon.budget_id)
    assert budget is not None and budget.spent_fen == 10_000
    assert session.scalar(select(func.count()).select_from(Order)) == 20
    assert session.scalar(select(func.sum(Order.subsidy_fen))) == 10_000
    assert (
        session.scalar(select(func.count()).select_from(BuyerCoupon).where(BuyerCoupon.status == "used"))
        == 20
    )
    assert session.get(Coupon, coupon.id).used_count == 20  # type: ignore[union-attr]
    stock = catalog.skus_for_sale(session, [s.sku_id for s in sales])
    sold = session.scalar(select(func.sum(OrderLine.quantity)))
    assert sum(50 - stock[s.sku_id].stock for s in sales) == sold == 20


def test_100_claims_never_pass_the_total_or_the_per_buyer_limit(db: Database, session: Session) -> None:
    sale = make_on_sale(session)
    coupon = shop_coupon(session, sale.shop_id, cut_fen=500, total=30, per_buyer=1)
    buyers = [make_buyer(session) for _ in range(80)]
    greedy = buyers[0]
    attempts = [partial(_claim, b, coupon.id) for b in buyers]
    attempts += [partial(_claim, greedy, coupon.id) for _ in range(20)]
    outcomes = _race(db, attempts)
    assert len(outcomes) == 100
    assert outcomes.count("ok") == 30
    assert set(outcomes) <= {"ok", "COUPON_SOLD_OUT", "COUPON_LIMIT_REACHED"}
    session.rollback()
    assert session.get(Coupon, coupon.id).issued_count == 30  # type: ignore[union-attr]
    held = session.execute(
        select(BuyerCoupon.buyer_id, func.count())
        .where(BuyerCoupon.coupon_id == coupon.id)
        .group_by(BuyerCoupon.buyer_id)
    ).all()
    assert sum(n for _, n in held) == 30
    assert max(n for _, n in held) == 1


def test_one_wallet_coupon_raced_by_100_checkouts_is_used_once(db: Database, session: Session) -> None:
    first = make_on_sale(session, price_fen=3000, stock=100)
    sales = [first] + [
        make_on_sale(session, price_fen=3000, stock=100, shop_id=first.shop_id) for _ in range(4)
    ]
    buyer = make_buyer(session)
    wallet = claim(session, buyer.principal, shop_coupon(session, first.shop_id, cut_fen=300).id)
    bodies = [
        checkout_body(buyer, (sales[i % 5], 1)).model_copy(update={"coupon_ids": [wallet.id]})
        for i in range(100)
    ]
    outcomes = _race(
        db, [(lambda body: lambda s: orders.checkout(s, buyer.principal, body, key()))(b) for b in bodies]
    )
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "COUPON_ALREADY_USED"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert session.scalar(select(func.sum(Order.discount_fen))) == 300


def test_100_checkouts_of_a_subsidised_sku_spend_the_budget_exactly(db: Database, session: Session) -> None:
    from tests.factories.promotions import subsidy

    hot = make_on_sale(session, price_fen=10000, stock=200)
    sub = subsidy(session, hot.sku_id, per_unit_fen=1000, budget_fen=30_000)
    buyers = [make_buyer(session) for _ in range(100)]
    outcomes = _race(
        db,
        [partial(_buy, b, checkout_body(b, (hot, 1))) for b in buyers],
    )
    # Once the budget is gone the subsidy is no longer offered: later buyers pay the list price.
    assert outcomes.count("ok") + outcomes.count("SUBSIDY_BUDGET_EXHAUSTED") == 100
    session.rollback()
    budget = session.get(Budget, sub.budget_id)
    assert budget is not None and budget.spent_fen == 30_000
    assert session.scalar(select(func.count()).select_from(Order).where(Order.subsidy_fen == 1000)) == 30
    assert session.scalar(select(func.sum(Order.subsidy_fen))) == 30_000
    placed = session.scalar(select(func.count()).select_from(Order))
    assert placed == outcomes.count("ok")
    assert catalog.skus_for_sale(session, [hot.sku_id])[hot.sku_id].stock == 200 - placed

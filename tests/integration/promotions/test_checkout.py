"""Checkout through promotions: what the order keeps, what is claimed, what cancelling gives back,
and what completion books (the merchant is paid as if the buyer had paid the platform's part)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderLine
from laotie.payments.schemas import IntentOut
from laotie.promotions import service as promotions
from laotie.promotions.models import Budget, BuyerCoupon, Coupon
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver
from tests.factories.promotions import claim, multibuy, platform_coupon, shop_coupon, subsidy


def test_checkout_keeps_the_breakdown_and_claims_coupon_and_budget(session: Session) -> None:
    a = make_on_sale(session, price_fen=10000)
    b = make_on_sale(session, price_fen=5000, shop_id=a.shop_id)
    buyer = make_buyer(session)
    sub = subsidy(session, a.sku_id, per_unit_fen=1500, budget_fen=100_000)
    multibuy(session, a.shop_id, [(3, 1000)])
    coupon = shop_coupon(session, a.shop_id, threshold_fen=15000, cut_fen=2000)
    wallet = claim(session, buyer.principal, coupon.id)
    body = checkout_body(buyer, (a, 2), (b, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    placed = orders.checkout(session, buyer.principal, body, key())
    session.commit()
    order = session.get(Order, placed.orders[0].id)
    assert order is not None
    # list 25000; subsidy 3000 (platform); multi-buy 10% of 22000 = 2200; coupon 2000
    assert order.items_total_fen == 25000
    assert order.discount_fen == 3000 + 2200 + 2000
    assert order.subsidy_fen == 3000
    assert order.payable_fen == 25000 - 7200 == placed.orders[0].payable_fen
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.sku_id)
    ).all()
    assert sum(line.line_total_fen - line.discount_fen for line in lines) == order.payable_fen
    for line in lines:
        assert line.discount_fen == sum(d["amount_fen"] for d in line.discounts)
    kinds = {(d["kind"], d["funded_by"]) for line in lines for d in line.discounts}
    assert kinds == {("subsidy", "platform"), ("multibuy", "shop"), ("shop_coupon", "shop")}
    assert session.get(BuyerCoupon, wallet.id).status == "used"  # type: ignore[union-attr]
    assert session.get(Budget, sub.budget_id).spent_fen == 3000  # type: ignore[union-attr]
    assert session.get(Coupon, coupon.id).used_count == 1  # type: ignore[union-attr]


def test_quote_and_checkout_agree(session: Session) -> None:
    from laotie.orders.quote import QuoteIn, QuoteLineIn, quote

    a = make_on_sale(session, price_fen=8800)
    buyer = make_buyer(session)
    subsidy(session, a.sku_id, per_unit_fen=800, budget_fen=10_000)
    seen = quote(session, buyer.user_id, QuoteIn(lines=[QuoteLineIn(sku_id=a.sku_id, quantity=2)]))
    assert seen.payable_fen == 2 * 8000
    assert seen.shops[0].platform_funded_fen == 1600 and seen.shops[0].shop_funded_fen == 0
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (a, 2)), key())
    assert placed.orders[0].payable_fen == seen.payable_fen


def test_cancelling_gives_back_coupon_and_budget(app: FastAPI, session: Session) -> None:
    a = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    sub = subsidy(session, a.sku_id, per_unit_fen=1000, budget_fen=50_000)
    wallet = claim(session, buyer.principal, platform_coupon(session, 5000, 500, budget_fen=10_000).id)
    body = checkout_body(buyer, (a, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    placed = orders.checkout(session, buyer.principal, body, key())
    session.commit()
    assert session.get(BuyerCoupon, wallet.id).status == "used"  # type: ignore[union-attr]
    orders.cancel_by_buyer(session, buyer.principal, placed.orders[0].id, "不想要了")
    session.commit()
    app.state.outbox_worker.run_until_idle()
    app.state.outbox_worker.run_until_idle()  # a second delivery would release nothing twice
    session.rollback()
    assert session.get(BuyerCoupon, wallet.id).status == "available"  # type: ignore[union-attr]
    assert session.get(Budget, sub.budget_id).spent_fen == 0  # type: ignore[union-attr]
    budgets = {b.id: b.spent_fen for b in promotions.budgets(session)}
    assert set(budgets.values()) == {0}
    assert promotions.release_for_order(session, placed.orders[0].id) == 0


def test_completion_pays_the_merchant_the_subsidy_and_settles_exactly_what_is_pending(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    a = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    subsidy(session, a.sku_id, per_unit_fen=2000, budget_fen=50_000)
    coupon = claim(
        session, buyer.principal, shop_coupon(session, a.shop_id, threshold_fen=0, cut_fen=1000).id
    )
    body = checkout_body(buyer, (a, 1)).model_copy(update={"coupon_ids": [coupon.id]})
    placed = orders.checkout(session, buyer.principal, body, key())
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    session.commit()
    assert intent.amount_fen == 7000  # 100 - 20 platform - 10 shop
    assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    order_id = placed.orders[0].id
    owner = owner_principal(session, a.shop_id)
    fulfilment.ship(session, owner, a.shop_id, order_id, "中通快递", "ZT5566778899")
    session.commit()
    fulfilment.confirm_receipt(session, buyer.principal, order_id)
    session.commit()
    fee = fulfilment.platform_fee(session, order_id)
    line = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).one()
    from laotie.core.money import share_of

    assert fee == share_of(10000 - 1000, line.fee_rate_bp)  # on what the merchant sells at
    net = ledger.net_for(session, "order", order_id)
    assert net[(K.PLATFORM_CLEARING, None)] == 7000
    assert net[(K.SUBSIDY_EXPENSE, None)] == 2000
    assert -net[(K.SHOP_PENDING, a.shop_id)] == 7000 + 2000 - fee
    with clock.travel(timedelta(days=8)):
        assert fulfilment.settle_due(session) == [order_id]
        session.commit()
    assert ledger.balance(session, K.SHOP_PENDING, a.shop_id) == 0
    assert ledger.balance(session, K.SHOP_AVAILABLE, a.shop_id) == 9000 - fee
    assert ledger.check(session).ok

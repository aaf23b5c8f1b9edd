"""Property, in the database: for any basket and promotions, placing, paying and completing the
orders charges between 0 and the list total, the breakdown sums to the charge, and the books
balance with the merchant paid its sale price less only the discounts it funds.

(Refund sequences join this property when after-sales reverses completions; see docs/promotions.md.)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.money import share_of
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderLine
from laotie.payments.schemas import IntentOut
from laotie.promotions.models import MultiBuy, Subsidy
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver
from tests.factories.promotions import claim, multibuy, platform_coupon, shop_coupon, subsidy

plans = st.fixed_dictionaries(
    {
        "quantities": st.lists(st.integers(0, 3), min_size=4, max_size=4).filter(any),
        "subsidy": st.none() | st.tuples(st.integers(0, 3), st.integers(1, 9000), st.integers(1, 40_000)),
        "multibuy": st.none() | st.tuples(st.integers(1, 3000), st.integers(3000, 6000)),
        "shop_coupon": st.none() | st.tuples(st.integers(0, 30_000), st.integers(1, 50_000), st.booleans()),
        "platform_coupon": st.none() | st.tuples(st.integers(0, 40_000), st.integers(1, 8000)),
    }
)


def test_any_basket_and_promotions_pay_within_bounds_and_balance(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    first = make_on_sale(session, price_fen=9900, stock=500)
    sales = [
        first,
        make_on_sale(session, price_fen=2990, stock=500, shop_id=first.shop_id),
        make_on_sale(session, price_fen=15000, stock=500),
        make_on_sale(session, price_fen=1, stock=500, shop_id=first.shop_id),
    ]

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(plans)
    def check(plan: dict) -> None:  # type: ignore[type-arg]
        buyer = make_buyer(session)
        if plan["subsidy"]:
            i, per_unit, budget = plan["subsidy"]
            if per_unit < sales[i].price_fen:
                subsidy(session, sales[i].sku_id, per_unit, budget)
        if plan["multibuy"]:
            multibuy(session, first.shop_id, [(2, plan["multibuy"][0]), (3, plan["multibuy"][1])])
        coupon_ids = []
        if plan["shop_coupon"]:
            threshold, amount, percent = plan["shop_coupon"]
            c = (
                shop_coupon(session, first.shop_id, threshold, percent_off_bp=min(amount, 9000))
                if percent
                else shop_coupon(session, first.shop_id, threshold, cut_fen=amount)
            )
            coupon_ids.append(claim(session, buyer.principal, c.id).id)
        if plan["platform_coupon"]:
            threshold, cut = plan["platform_coupon"]
            coupon_ids.append(
                claim(session, buyer.principal, platform_coupon(session, threshold, cut, 10**6).id).id
            )
        items = [(s, q) for s, q in zip(sales, plan["quantities"], strict=True) if q]
        list_total = sum(s.price_fen * q for s, q in items)
        body = checkout_body(buyer, *items).model_copy(update={"coupon_ids": coupon_ids})
        try:
            placed = orders.checkout(session, buyer.principal, body, key())
        except Exception as exc:  # a coupon below its threshold is a legitimate refusal
            assert getattr(exc, "code", "") == "COUPON_THRESHOLD_NOT_MET", exc
            session.rollback()
            return
        intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
        session.commit()
        charged = intent.amount_fen
        assert 0 < charged <= list_total
        assert charged == sum(o.payable_fen for o in placed.orders)
        assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
        deliver(db, client)
        app.state.outbox_worker.run_until_idle()
        session.rollback()
        for placed_order in placed.orders:
            order = session.get(Order, placed_order.id, populate_existing=True)
            assert order is not None and order.status == "paid"
            lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
            assert sum(line.line_total_fen - line.discount_fen for line in lines) == order.payable_fen
            assert all(line.line_total_fen - line.discount_fen >= 1 for line in lines)
            platform_part = sum(
                d["amount_fen"] for line in lines for d in line.discounts if d["funded_by"] == "platform"
            )
            assert platform_part == order.subsidy_fen
            owner = owner_principal(session, order.shop_id)
            fulfilment.ship(session, owner, order.shop_id, order.id, "中通快递", f"ZT{order.id:010d}")
            fulfilment.confirm_receipt(session, buyer.principal, order.id)
            session.commit()
            shop_funded = {
                line.id: sum(d["amount_fen"] for d in line.discounts if d["funded_by"] == "shop")
                for line in lines
            }
            fee = sum(
                share_of(line.line_total_fen - shop_funded[line.id], line.fee_rate_bp) for line in lines
            )
            net = ledger.net_for(session, "order", order.id)
            assert -net[(K.SHOP_PENDING, order.shop_id)] == order.payable_fen + order.subsidy_fen - fee
            assert net.get((K.SUBSIDY_EXPENSE, None), 0) == order.subsidy_fen
        books = ledger.check(session)
        assert books.ok, books.problems
        session.execute(update(MultiBuy).values(active=False))
        session.execute(update(Subsidy).values(active=False))
        session.commit()

    check()

"""Checkout charges each shop order its shipping, and refuses an address a shop does not serve."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog.models import Sku
from laotie.core.errors import AppError
from laotie.orders import service as orders
from laotie.orders.models import Checkout, Order
from tests.factories.logistics import GUANGZHOU_TIANHE, buyer_in, make_template, ship_under
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale


def test_each_shop_order_pays_its_own_shipping(session: Session) -> None:
    buyer = make_buyer(session)  # 杭州
    a = make_on_sale(session, price_fen=2500)
    b = make_on_sale(session, price_fen=4000)
    free = make_on_sale(session, price_fen=1000, shop_id=a.shop_id)  # no template: 包邮
    ship_under(session, a, make_template(session, a.shop_id).id)
    ship_under(
        session,
        b,
        make_template(
            session,
            b.shop_id,
            charge_by="weight",
            default={"first_units": 1000, "first_fee_fen": 1000, "extra_units": 1000, "extra_fee_fen": 500},
            free_rules=[],
        ).id,
        weight_g=700,
    )
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (a, 2), (free, 1), (b, 2)), key())
    session.commit()
    by_shop = {o.shop_id: o for o in placed.orders}
    assert by_shop[a.shop_id].payable_fen == 2 * 2500 + 1000 + 1000  # 首件8元 + 1 续件2元
    assert by_shop[b.shop_id].payable_fen == 2 * 4000 + 1500  # 1.4 kg: first kilo + one extra kilo
    rows = {o.shop_id: o for o in session.scalars(select(Order))}
    assert (rows[a.shop_id].shipping_fen, rows[b.shop_id].shipping_fen) == (1000, 1500)
    assert rows[a.shop_id].items_total_fen == 6000
    checkout = session.get(Checkout, placed.checkout_id)
    assert checkout is not None and checkout.total_fen == 6000 + 1000 + 8000 + 1500 == placed.total_fen
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    assert intent.amount_fen == 16500  # the buyer is charged items + shipping


def test_threshold_makes_it_free_at_checkout(session: Session) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, price_fen=5000)
    ship_under(session, sale, make_template(session, sale.shop_id).id)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 2)), key())  # ¥100 >= 满99
    assert placed.orders[0].payable_fen == 10000


def test_an_address_the_shop_does_not_serve_is_refused_before_anything_is_written(
    client: TestClient, session: Session
) -> None:
    buyer = buyer_in(session, GUANGZHOU_TIANHE)
    sale = make_on_sale(session, stock=5)
    other = make_on_sale(session, stock=5)
    ship_under(session, sale, make_template(session, sale.shop_id, regions=[], excluded=["440000"]).id)
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, checkout_body(buyer, (other, 1), (sale, 1)), key())
    assert caught.value.code == "REGION_NOT_SERVED" and "广东省" in caught.value.message("zh")
    session.rollback()
    answer = client.post(
        "/api/v1/orders/buy-now",
        json={
            "sku_id": sale.sku_id,
            "quantity": 1,
            "expected_unit_price_fen": sale.price_fen,
            "address_id": buyer.address_id,
        },
        headers={**buyer.headers, "Idempotency-Key": "not-served"},
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "REGION_NOT_SERVED"
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert session.scalar(select(Sku.stock).where(Sku.id == sale.sku_id)) == 5
    assert session.scalar(select(Sku.stock).where(Sku.id == other.sku_id)) == 5
    # the same buyer elsewhere is served, by the same batch path
    hz = make_buyer(session)
    placed = orders.checkout(session, hz.principal, checkout_body(hz, (sale, 1)), key())
    assert placed.orders[0].payable_fen == sale.price_fen  # ¥99: 满99包邮

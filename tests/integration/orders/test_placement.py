"""Placing orders through the service: lines copied, stock reserved once, bad input moves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderLine, OrderStatus
from laotie.orders.schemas import CheckoutIn, LineIn
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale


def _stock(session: Session, sku_id: int) -> int:
    session.rollback()
    return catalog.skus_for_sale(session, [sku_id])[sku_id].stock


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_checkout_splits_by_shop_copies_lines_and_reserves_stock(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=10, price_fen=5990)
    jujube = make_on_sale(session, stock=5, price_fen=3900)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 2), (jujube, 1)), key())
    session.commit()
    assert placed.total_fen == 2 * 5990 + 3900
    assert sorted(o.shop_id for o in placed.orders) == sorted([tea.shop_id, jujube.shop_id])
    assert all(o.status == OrderStatus.PENDING_PAYMENT for o in placed.orders)
    assert _stock(session, tea.sku_id) == 8 and _stock(session, jujube.sku_id) == 4
    tea_order = next(o for o in placed.orders if o.shop_id == tea.shop_id)
    detail = orders.buyer_order(session, buyer.principal, tea_order.id)
    assert [(line.unit_price_fen, line.quantity, line.line_total_fen) for line in detail.lines] == [
        (5990, 2, 11980)
    ]
    assert detail.lines[0].title and detail.address["recipient"] == "张三"
    assert [e.kind for e in detail.events] == ["placed"]
    topics = session.scalars(select(OutboxEvent.topic)).all()
    assert topics.count("OrderPlaced") == 2


def test_order_lines_keep_the_price_paid_after_the_merchant_changes_it(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, price_fen=5990)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 1)), key())
    session.commit()
    catalog.set_sku_price(session, owner_principal(session, tea.shop_id), tea.sku_id, 7990)
    session.commit()
    assert orders.buyer_order(session, buyer.principal, placed.orders[0].id).lines[0].unit_price_fen == 5990


def test_a_stale_price_is_answered_with_the_new_price_and_nothing_is_written(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=10, price_fen=5990)
    catalog.set_sku_price(session, owner_principal(session, tea.shop_id), tea.sku_id, 6990)
    session.commit()
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 1)), key())
    assert caught.value.code == "PRICE_CHANGED"
    assert caught.value.details["lines"] == [
        {"sku_id": tea.sku_id, "expected_fen": 5990, "current_fen": 6990}
    ]
    assert _count(session, Order) == 0 and _stock(session, tea.sku_id) == 10


@pytest.mark.parametrize("case", ["sold_out", "limit", "delisted", "unknown_sku", "other_users_address"])
def test_refusals_move_nothing(session: Session, case: str) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=3, price_fen=5990, purchase_limit=2)
    body = checkout_body(buyer, (tea, 1))
    expected = {
        "sold_out": "OUT_OF_STOCK",
        "limit": "PURCHASE_LIMIT_EXCEEDED",
        "delisted": "SKU_UNAVAILABLE",
        "unknown_sku": "SKU_UNAVAILABLE",
        "other_users_address": "ADDRESS_NOT_FOUND",
    }[case]
    if case == "sold_out":
        body = checkout_body(buyer, (tea, 4))
        tea_limitless = make_on_sale(session, stock=3, price_fen=5990)
        body = checkout_body(buyer, (tea_limitless, 4))
        tea = tea_limitless
    elif case == "limit":
        body = checkout_body(buyer, (tea, 3))
    elif case == "delisted":
        catalog.delist(session, owner_principal(session, tea.shop_id), tea.product_id)
        session.commit()
    elif case == "unknown_sku":
        body = CheckoutIn(
            lines=[LineIn(sku_id=10**9, quantity=1, expected_unit_price_fen=100)], address_id=buyer.address_id
        )
    elif case == "other_users_address":
        body = body.model_copy(update={"address_id": make_buyer(session).address_id})
    stock_before = _stock(session, tea.sku_id)
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, body, key())
    assert caught.value.code == expected
    session.rollback()
    assert _count(session, Order) == 0 and _count(session, OrderLine) == 0
    assert _stock(session, tea.sku_id) == stock_before


def test_purchase_limit_counts_earlier_orders_and_frees_on_cancel(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=10, purchase_limit=2)
    first = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 2)), key())
    session.commit()
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 1)), key())
    assert caught.value.code == "PURCHASE_LIMIT_EXCEEDED"
    session.rollback()
    orders.cancel_by_buyer(session, buyer.principal, first.orders[0].id, "不想要了")
    session.commit()
    orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 2)), key())
    session.commit()
    assert _stock(session, tea.sku_id) == 8


def test_same_key_places_once_and_a_different_body_conflicts(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=10)
    k = key()
    first = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 1)), k)
    session.commit()
    again = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 1)), k)
    session.commit()
    assert again == first
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 2)), k)
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    session.rollback()
    assert _count(session, Order) == 1 and _stock(session, tea.sku_id) == 9


def test_unpaid_orders_cancel_themselves_and_stock_comes_back_once(session: Session) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, stock=10)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (tea, 3)), key())
    session.commit()
    assert orders.cancel_expired(session) == []
    with clock.travel(timedelta(minutes=15, seconds=1)):
        assert orders.cancel_expired(session) == [placed.orders[0].id]
        session.commit()
        assert orders.cancel_expired(session) == []
        session.commit()
    assert _stock(session, tea.sku_id) == 10
    detail = orders.buyer_order(session, buyer.principal, placed.orders[0].id)
    assert detail.status == OrderStatus.CANCELLED and "超时" in detail.cancel_reason
    with pytest.raises(AppError) as caught:
        orders.cancel_by_buyer(session, buyer.principal, placed.orders[0].id, "")
    assert caught.value.code == "INVALID_ORDER_STATE"

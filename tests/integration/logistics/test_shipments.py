"""Shipping through the carrier: tracking with the clock -> delivered -> auto-confirm; 西北集运 books
the platform's hub leg; bad waybills move nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.logistics import service as logistics
from laotie.logistics.models import Shipment
from laotie.orders import fulfilment
from laotie.orders.models import Order
from tests.factories.logistics import (
    URUMQI_TIANSHAN,
    buyer_in,
    make_template,
    owner_of,
    paid_order,
    ship_under,
)
from tests.factories.orders import make_buyer, make_on_sale


def _status(session: Session, order_id: int) -> str:
    session.rollback()
    order = session.get(Order, order_id, populate_existing=True)
    assert order is not None
    status = order.status.value
    session.rollback()  # on SQLite an open transaction would hold the write lock the app needs
    return status


def test_tracking_advances_with_the_clock_to_delivery_and_auto_confirm(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, price_fen=3000)
    ship_under(session, sale, make_template(session, sale.shop_id).id)
    (order_id,) = paid_order(client, app, db, session, buyer, (sale, 1))
    url = f"/api/v1/shops/{sale.shop_id}/orders/{order_id}"
    assert client.get(f"/api/v1/orders/{order_id}/tracking", headers=buyer.headers).json() is None
    shipped = client.post(
        f"{url}/ship", json={"carrier": "ZTO", "tracking_no": "78123456789012"}, headers=sale.owner_headers
    )
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert session.scalar(select(Order.payable_fen).where(Order.id == order_id)) == 3800
    session.rollback()
    timeline = []
    for hours in (0, 12, 24, 48, 72, 96, 120):
        with clock.travel(timedelta(hours=hours)):
            logistics.poll_tracking(session)
            session.commit()
            app.state.outbox_worker.run_until_idle()
            view = client.get(f"/api/v1/orders/{order_id}/tracking", headers=buyer.headers).json()
            timeline.append((hours, [n["stage"] for n in view["nodes"]], _status(session, order_id)))
    stages = timeline[-1][1]
    assert stages[-1] == "揽收" and stages[0] == "签收" and stages[1] == "派送中"  # newest first
    assert "运输中" in stages
    counts = [len(s) for _, s, _ in timeline]
    assert counts == sorted(counts) and counts[0] <= 1  # the journey only grows
    delivered_at = [h for h, s, status in timeline if status == "delivered"]
    assert delivered_at and all(s[0] == "签收" for h, s, _ in timeline if h >= delivered_at[0])
    assert all(status == "shipped" for _, s, status in timeline if "签收" not in s)
    assert client.get(f"{url}/tracking", headers=sale.owner_headers).json()["tracking_no"] == "78123456789012"
    # delivered orders confirm themselves after auto_confirm_days (10) counted from delivery
    seen = delivered_at[0]  # the order is delivered when the job sees 签收
    with clock.travel(timedelta(hours=seen + 24 * 9)):
        assert fulfilment.auto_confirm(session) == []
    with clock.travel(timedelta(hours=seen + 24 * 10, minutes=1)):
        assert fulfilment.auto_confirm(session) == [order_id]
        session.commit()
    assert _status(session, order_id) == "completed"
    fee = fulfilment.platform_fee(session, order_id)
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 3800 - fee  # the shop gets the shipping


def test_consolidated_order_books_the_platform_leg(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = buyer_in(session, URUMQI_TIANSHAN)
    sale = make_on_sale(session, price_fen=2000)
    ship_under(session, sale, make_template(session, sale.shop_id, excluded=["650000"]).id)
    (order_id,) = paid_order(client, app, db, session, buyer, (sale, 1))
    # the merchant's normal rate to the hub (陕西: default 8元); the buyer pays nothing extra
    assert session.scalar(select(Order.payable_fen).where(Order.id == order_id)) == 2800
    fulfilment.ship(
        session, owner_of(session, sale.shop_id), sale.shop_id, order_id, "韵达快递", "4312345678901"
    )
    session.commit()
    shipment = logistics.shipment_of_order(session, order_id)
    assert shipment is not None and shipment.consolidated and shipment.hub_name == "西安集运仓"
    assert shipment.platform_leg_fen == 1200 and not shipment.platform_leg_booked
    booked_when = None
    for hours in range(0, 24 * 7, 6):
        with clock.travel(timedelta(hours=hours)):
            fulfilment.deliver_shipped(session)
            session.commit()
            view = logistics.shipment_of_order(session, order_id)
            assert view is not None
            stages = [n.stage for n in view.nodes]
            assert view.platform_leg_booked == ("集运仓发出" in stages)
            if view.platform_leg_booked and booked_when is None:
                booked_when = hours
                assert ledger.balance(session, K.SUBSIDY_EXPENSE) == 1200
                assert ledger.balance(session, K.LOGISTICS_PAYABLE) == 1200
            if view.status == "delivered":
                break
    assert booked_when is not None and view.status == "delivered"
    assert stages.index("集运仓发出") < stages.index("到达集运仓")  # newest first
    assert _status(session, order_id) == "delivered"
    # polling again books nothing twice
    with clock.travel(timedelta(days=8)):
        fulfilment.deliver_shipped(session)
        session.commit()
    assert ledger.balance(session, K.SUBSIDY_EXPENSE) == 1200
    assert ledger.check(session).ok


def test_bad_waybills_and_double_shipping_move_nothing(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session)
    first, second = (paid_order(client, app, db, session, buyer, (sale, 1))[0] for _ in range(2))

    def ship(order_id: int, carrier: str, tracking_no: str) -> httpx.Response:
        return client.post(
            f"/api/v1/shops/{sale.shop_id}/orders/{order_id}/ship",
            json={"carrier": carrier, "tracking_no": tracking_no},
            headers=sale.owner_headers,
        )

    unknown = ship(first, "飞鸽快递", "12345678")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "UNKNOWN_CARRIER"
    bad = ship(first, "顺丰速运", "ZT1234567890")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "INVALID_TRACKING_NO"
    assert _status(session, first) == "paid" and session.scalar(select(Shipment.id)) is None
    session.rollback()
    ok = ship(first, "顺丰速运", "SF1234567890")
    assert ok.status_code == 200
    again = ship(first, "顺丰速运", "SF1234567899")
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_ORDER_STATE"
    reused = ship(second, "SF", "sf1234567890")
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "TRACKING_NO_IN_USE"
    assert _status(session, second) == "paid"
    with pytest.raises(AppError) as caught:
        logistics.create_shipment(
            session,
            order_id=first,
            shop_id=sale.shop_id,
            buyer_id=buyer.user_id,
            carrier="SF",
            tracking_no="SF9999999999",
            address={},
        )
    assert caught.value.code == "ALREADY_SHIPPED"
    session.rollback()
    shipments = session.scalars(select(Shipment)).all()
    assert [(s.order_id, s.tracking_no) for s in shipments] == [(first, "SF1234567890")]
    # another buyer cannot read the parcel
    stranger = make_buyer(session)
    session.rollback()
    assert client.get(f"/api/v1/orders/{first}/tracking", headers=stranger.headers).status_code == 404

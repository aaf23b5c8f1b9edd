"""Ship-by deadlines: late shipments are recorded for governance and shown to the merchant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.logistics import service as logistics
from laotie.logistics.models import ShipDeadline
from laotie.orders import fulfilment, paylater
from laotie.orders import service as orders
from laotie.orders.models import PayMode
from laotie.payments import service as payments
from tests.factories.logistics import owner_of, paid_order
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.shops import make_reviewer


def test_late_shipments_are_recorded_with_hours_late(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session)
    other = make_on_sale(session)
    on_time, late, never = (paid_order(client, app, db, session, buyer, (sale, 1))[0] for _ in range(3))
    (elsewhere,) = paid_order(client, app, db, session, buyer, (other, 1))
    owner = owner_of(session, sale.shop_id)
    with clock.travel(timedelta(hours=47)):
        fulfilment.ship(session, owner, sale.shop_id, on_time, "中通快递", "ZT1234567890")
        assert logistics.record_late(session) == []
        session.commit()
    with clock.travel(timedelta(hours=50, minutes=30)):  # 2.5 hours past the 48-hour deadline
        assert sorted(logistics.record_late(session)) == sorted([late, never, elsewhere])
        session.commit()
    mid = {r.order_id: r.hours_late for r in logistics.late_shipments(session, sale.shop_id)}
    assert mid == {late: 3, never: 3}
    with clock.travel(timedelta(hours=53, minutes=10)):
        fulfilment.ship(session, owner, sale.shop_id, late, "中通快递", "ZT1234567891")
        session.commit()
    with clock.travel(timedelta(hours=59, minutes=30)):
        logistics.record_late(session)
        session.commit()
    rows = {r.order_id: r for r in logistics.late_shipments(session, sale.shop_id)}
    assert rows[late].hours_late == 6 and rows[late].shipped_at is not None  # final: shipped 5h10m late
    assert rows[never].hours_late == 12 and rows[never].shipped_at is None  # still counting
    assert on_time not in rows
    assert {r.order_id for r in logistics.late_shipments(session)} == {late, never, elsewhere}
    assert logistics.late_shipments(session, sale.shop_id, since=clock.now() + timedelta(days=30)) == []
    # the merchant sees its own; governance sees all; a buyer sees neither
    mine = client.get(f"/api/v1/shops/{sale.shop_id}/late-shipments", headers=sale.owner_headers)
    assert mine.status_code == 200 and {r["order_id"] for r in mine.json()} == {late, never}
    _, staff = make_reviewer(session)
    session.commit()
    gov = client.get("/api/v1/governance/late-shipments", params={"shop_id": other.shop_id}, headers=staff)
    assert gov.status_code == 200 and [r["order_id"] for r in gov.json()] == [elsewhere]
    assert client.get("/api/v1/governance/late-shipments", headers=buyer.headers).status_code == 403
    naive = client.get(
        "/api/v1/governance/late-shipments", params={"since": "2026-01-01T00:00:00"}, headers=staff
    )
    assert naive.status_code == 422


def test_deadlines_follow_the_events_whatever_their_order(session: Session) -> None:
    """The payment event may arrive after the merchant already shipped; a pay-after-use order starts
    its clock when placed; a cancelled order stops it."""
    now = clock.now()
    shipped_first = 9001
    logistics_shipment = {
        "recipient": "张三",
        "phone": "13800138000",
        "province_code": "330000",
        "province_name": "浙江省",
        "detail": "文三路478号",
    }
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    logistics.create_shipment(
        session,
        order_id=shipped_first,
        shop_id=sale.shop_id,
        buyer_id=buyer.user_id,
        carrier="中通快递",
        tracking_no="ZT1234567000",
        address=logistics_shipment,
    )
    assert logistics.open_deadline(session, shipped_first, sale.shop_id, now - timedelta(hours=1))
    assert not logistics.open_deadline(session, shipped_first, sale.shop_id, now)  # redelivered event
    with clock.travel(timedelta(days=5)):
        assert logistics.record_late(session) == []  # it shipped in time, before the event came
    # shipped before the event arrived, but after the deadline: recorded as late once it does
    logistics.create_shipment(
        session,
        order_id=9002,
        shop_id=sale.shop_id,
        buyer_id=buyer.user_id,
        carrier="中通快递",
        tracking_no="ZT1234567001",
        address=logistics_shipment,
    )
    logistics.open_deadline(session, 9002, sale.shop_id, now - timedelta(hours=49, minutes=30))
    assert [(r.order_id, r.hours_late) for r in logistics.late_shipments(session)] == [(9002, 2)]
    # cancelled before shipping: the clock stops
    logistics.open_deadline(session, 9003, sale.shop_id, now)
    assert logistics.close_deadline(session, 9003)
    with clock.travel(timedelta(days=5)):
        assert logistics.record_late(session) == []
    session.commit()


def test_a_pay_after_use_order_must_ship_within_48_hours_of_placing(
    app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paylater, "ineligibility", lambda *a, **k: None)  # eligibility is orders' test
    buyer = make_buyer(session)
    payments.sign_agreement(session, buyer.user_id)
    sale = make_on_sale(session)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"pay_mode": PayMode.PAY_LATER})
    (order,) = orders.checkout(session, buyer.principal, body, key()).orders
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    deadline = session.get(ShipDeadline, order.id)
    assert deadline is not None and deadline.due_at - deadline.paid_at == timedelta(hours=48)
    with clock.travel(timedelta(hours=49)):
        assert logistics.record_late(session) == [order.id]
        session.commit()


def test_a_shop_may_promise_its_own_ship_by_hours(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session)
    url = f"/api/v1/shops/{sale.shop_id}/shipping-policy"
    assert client.get(url, headers=sale.owner_headers).json() == {
        "ship_within_hours": 48,
        "shop_id": sale.shop_id,
        "platform_default": True,
    }
    too_long = client.put(url, json={"ship_within_hours": 24 * 30}, headers=sale.owner_headers)
    assert too_long.status_code == 422
    set_ = client.put(url, json={"ship_within_hours": 72}, headers=sale.owner_headers)
    assert set_.status_code == 200 and set_.json()["platform_default"] is False
    other = make_on_sale(session)
    assert client.put(url, json={"ship_within_hours": 24}, headers=other.owner_headers).status_code in (
        403,
        404,
    )
    (order_id,) = paid_order(client, app, db, session, buyer, (sale, 1))
    with clock.travel(timedelta(hours=60)):
        assert logistics.record_late(session) == []  # 60 h is inside the shop's 72
    with clock.travel(timedelta(hours=73)):
        assert logistics.record_late(session) == [order_id]
        session.commit()

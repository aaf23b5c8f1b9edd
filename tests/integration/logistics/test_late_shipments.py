"""Ship-by deadlines: late shipments are recorded for governance and shown to the merchant."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.logistics import service as logistics
from laotie.orders import fulfilment
from tests.factories.logistics import owner_of, paid_order
from tests.factories.orders import make_buyer, make_on_sale
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

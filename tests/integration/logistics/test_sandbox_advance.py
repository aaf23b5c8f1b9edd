"""Advancing a sandbox parcel (issue 9 item 17): staff move its tracking to the next node or to 签收
at once, over HTTP or with ``laotie sandbox carrier advance``; the order turns delivered through the
same ShipmentDelivered path the tracking job takes. Buyers and merchants may not; a real carrier
network cannot be advanced."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.logistics import shipments
from laotie.orders import service as orders
from tests.factories import make_user
from tests.factories.aftersales import paid_order, ship

URL = "/api/v1/sandbox/carrier/advance"


def _status(session: Session, order_id: int) -> str:
    session.rollback()
    status = str(orders.order_view(session, order_id).status)
    session.rollback()
    return status


def test_staff_advance_a_parcel_to_the_next_node_then_to_delivered(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000)
    ship(session, bought)
    _, staff = make_user(session, Role.GOVERNANCE)
    session.commit()
    reference = str(bought.order_id)
    assert client.post(URL, json={"reference": reference}, headers=bought.buyer.headers).status_code == 403
    assert (
        client.post(URL, json={"reference": reference}, headers=bought.sale.owner_headers).status_code == 403
    )
    first = client.post(URL, json={"reference": reference}, headers=staff)
    assert first.status_code == 200, first.text
    assert [n["stage"] for n in first.json()["nodes"]] == ["揽收"]
    assert first.json()["status"] == "in_transit"
    done = client.post(URL, json={"reference": first.json()["tracking_no"], "to": "delivered"}, headers=staff)
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    assert done.json()["nodes"][0]["stage"] == "签收"
    app.state.outbox_worker.run_until_idle()
    assert _status(session, bought.order_id) == "delivered"
    missing = client.post(URL, json={"reference": "ZT0000000000"}, headers=staff)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "SHIPMENT_NOT_FOUND"


def test_the_cli_advances_and_a_real_network_refuses(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    from laotie.cli import app as cli

    bought = paid_order(client, app, db, session, price_fen=5000)
    ship(session, bought)
    session.rollback()
    out = CliRunner().invoke(
        cli,
        [
            "sandbox",
            "carrier",
            "advance",
            str(bought.order_id),
            "--to",
            "delivered",
            "--database-url",
            db.url,
        ],
    )
    assert out.exit_code == 0, out.output
    assert "delivered" in out.output

    class RealNetwork:
        def track(self, waybill: object, now: object) -> list[object]:
            return []

    previous = shipments.set_network(RealNetwork())  # type: ignore[arg-type]
    try:
        _, staff = make_user(session, Role.GOVERNANCE)
        session.commit()
        refused = client.post(URL, json={"reference": str(bought.order_id)}, headers=staff)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "SANDBOX_CARRIER_DISABLED"
    finally:
        shipments.set_network(previous)

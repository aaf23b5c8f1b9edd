"""The 申请售后 form and the case page's actions, posted as a browser would (cookie, form fields)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.core import clock
from laotie.core.db import Database
from laotie.orders import service as orders
from tests.factories.aftersales import delivered, line_id, paid_order, psp_cash
from tests.factories.catalog import image_bytes
from tests.factories.web import sign_in


def test_instant_refund_from_the_form(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=4200)
    cash = psp_cash(session)
    session.rollback()
    sign_in(client, bought.buyer.headers)
    page = client.get(f"/orders/{bought.order_id}/aftersales")
    assert page.status_code == 200 and "申请售后" in page.text and "七天保价" in page.text
    r = client.post(
        f"/orders/{bought.order_id}/aftersales",
        data={
            "kind": "refund_only",
            "reason": "changed_mind",
            "idempotency_key": "form-1",
            "description": "拍错了",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/aftersales/"), r.text
    case_page = client.get(r.headers["location"])
    assert "退款成功" in case_page.text and "极速退款" in case_page.text
    assert psp_cash(session) == cash - 4200
    assert orders.buyer_order(session, bought.buyer.principal, bought.order_id).status == "closed"


def test_return_with_photos_then_ship_back_from_the_case_page(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=3000, quantity=2)
    delivered(session, bought)
    line = line_id(session, bought)
    session.rollback()
    sign_in(client, bought.buyer.headers)
    with clock.travel(timedelta(days=3)):
        r = client.post(
            f"/orders/{bought.order_id}/aftersales",
            data={"kind": "return", "reason": "no_reason", f"qty_{line}": "1", "idempotency_key": "form-2"},
            files={"photos": ("p.png", image_bytes(), "image/png")},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/aftersales/"), r.text
        case_id = int(r.headers["location"].rsplit("/", 1)[1])
        case = aftersales.get_case(session, bought.buyer.principal, case_id)
        assert case.amount_fen == 3000 and len(case.evidence) == 1
        session.rollback()
        # The merchant approves on the same page, then the buyer fills in the return parcel.
        sign_in(client, bought.sale.owner_headers)
        assert client.post(f"/aftersales/{case_id}/approve", follow_redirects=False).status_code == 303
        sign_in(client, bought.buyer.headers)
        r = client.post(
            f"/aftersales/{case_id}/ship-back",
            data={"carrier": "中通快递", "tracking_no": "ZT5566778899", "shipping": "12.00"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    after = aftersales.get_case(session, bought.buyer.principal, case_id)
    assert after.status == "returning" and after.return_shipping_fen == 1200
    session.rollback()
    # A bad tracking number is refused with a message, and nothing changes.
    r = client.post(
        f"/aftersales/{case_id}/ship-back", data={"carrier": "x", "tracking_no": "!"}, follow_redirects=False
    )
    assert r.status_code == 303
    session.rollback()
    assert aftersales.get_case(session, bought.buyer.principal, case_id).return_tracking_no == "ZT5566778899"

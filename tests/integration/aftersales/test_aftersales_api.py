"""After-sales over HTTP: idempotent writes, evidence checked by content, parties only, staff judge."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from tests.factories import make_user
from tests.factories.aftersales import delivered, line_id, paid_order, psp_cash, row_counts
from tests.factories.catalog import image_bytes
from tests.factories.shops import make_reviewer


def test_refund_only_over_http_with_retries_evidence_and_a_dispute(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=6600, quantity=2)
    delivered(session, bought)
    buyer = bought.buyer.headers
    owner = bought.sale.owner_headers
    # Evidence is checked by its bytes, not its name.
    fake = client.post(
        "/api/v1/aftersales/evidence",
        headers=buyer,
        files={"file": ("a.jpg", b"not a picture", "image/jpeg")},
    )
    assert fake.status_code == 422 and fake.json()["error"]["code"] == "INVALID_IMAGE", fake.text
    up = client.post(
        "/api/v1/aftersales/evidence",
        headers=buyer,
        files={"file": ("broken.png", image_bytes(), "image/png")},
        data={"note": "外壳破损"},
    )
    assert up.status_code == 201, up.text
    evidence_id = up.json()["id"]
    body = {
        "order_id": bought.order_id,
        "kind": "refund_only",
        "reason": "damaged",
        "lines": [{"line_id": line_id(session, bought), "quantity": 1}],
        "evidence_ids": [evidence_id],
        "description": "收到时外壳破损",
    }
    session.rollback()
    missing = client.post("/api/v1/aftersales/cases", headers=buyer, json=body)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    with clock.travel(timedelta(days=3)):
        first = client.post("/api/v1/aftersales/cases", headers={**buyer, "Idempotency-Key": "c1"}, json=body)
        again = client.post("/api/v1/aftersales/cases", headers={**buyer, "Idempotency-Key": "c1"}, json=body)
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    case = first.json()
    assert (
        case["status"] == "requested"
        and case["amount_fen"] == 6600
        and case["evidence"][0]["id"] == evidence_id
    )
    # Only the parties see the case and its photos.
    _, stranger = make_user(session)
    assert client.get(f"/api/v1/aftersales/cases/{case['id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/aftersales/evidence/{evidence_id}", headers=stranger).status_code == 404
    photo = client.get(f"/api/v1/aftersales/evidence/{evidence_id}", headers=owner)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    queue = client.get(f"/api/v1/shops/{bought.sale.shop_id}/aftersales", headers=owner)
    assert [c["id"] for c in queue.json()["items"]] == [case["id"]]
    # The merchant refuses; the buyer escalates; staff decide; retries change nothing.
    r = client.post(
        f"/api/v1/aftersales/cases/{case['id']}/reject",
        headers={**owner, "Idempotency-Key": "r1"},
        json={"note": "人为损坏"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    r = client.post(
        f"/api/v1/aftersales/cases/{case['id']}/escalate",
        headers={**buyer, "Idempotency-Key": "e1"},
        json={"note": "快递破损"},
    )
    assert r.status_code == 200 and r.json()["status"] == "disputed"
    _, staff = make_reviewer(session)
    assert client.get("/api/v1/governance/aftersales", headers=buyer).status_code == 403
    view = client.get(f"/api/v1/governance/aftersales/{case['id']}", headers=staff)
    assert view.status_code == 200 and view.json()["order_trail"][0]["kind"] == "placed"
    cash = psp_cash(session)
    session.rollback()
    decision = {"decision": "refund", "fault_party": "merchant", "note": "物流破损，商家担责"}
    d1 = client.post(
        f"/api/v1/governance/aftersales/{case['id']}/decide",
        headers={**staff, "Idempotency-Key": "d1"},
        json=decision,
    )
    counts = row_counts(session)
    session.rollback()  # SQLite: the app needs the write lock
    d2 = client.post(
        f"/api/v1/governance/aftersales/{case['id']}/decide",
        headers={**staff, "Idempotency-Key": "d1"},
        json=decision,
    )
    assert d1.status_code == 200 and d1.json()["status"] == "refunded" and d2.json() == d1.json(), d1.text
    session.rollback()
    assert row_counts(session) == counts
    assert psp_cash(session) == cash - 6600
    session.rollback()
    # The same key for another decision is refused; a new key for the finished case is a state error.
    reused = client.post(
        f"/api/v1/governance/aftersales/{case['id']}/decide",
        headers={**staff, "Idempotency-Key": "d1"},
        json={"decision": "reject"},
    )
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    late = client.post(
        f"/api/v1/governance/aftersales/{case['id']}/decide",
        headers={**staff, "Idempotency-Key": "d2"},
        json={"decision": "reject"},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "AFTERSALES_INVALID_STATE"
    mine = client.get("/api/v1/aftersales/cases", headers=buyer, params={"order_id": bought.order_id})
    assert mine.json()["total"] == 1 and mine.json()["items"][0]["refunded_fen"] == 6600


def test_refund_above_what_was_paid_is_refused_with_nothing_moved(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000)
    delivered(session, bought)
    up = client.post(
        "/api/v1/aftersales/evidence",
        headers=bought.buyer.headers,
        files={"file": ("p.png", image_bytes(), "image/png")},
    )
    session.rollback()
    before = row_counts(session)
    session.rollback()
    body = {
        "order_id": bought.order_id,
        "kind": "refund_only",
        "reason": "quality",
        "amount_fen": 5001,
        "evidence_ids": [up.json()["id"]],
    }
    with clock.travel(timedelta(days=3)):
        r = client.post(
            "/api/v1/aftersales/cases", headers={**bought.buyer.headers, "Idempotency-Key": "x"}, json=body
        )
    assert r.status_code == 409 and r.json()["error"]["code"] == "AFTERSALES_AMOUNT_TOO_HIGH"
    assert "5000" in r.json()["error"]["message"]
    session.rollback()
    assert row_counts(session) == before

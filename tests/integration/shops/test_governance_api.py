"""One HTTP test per governance feature; merchants and buyers are kept out of all of them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Role
from tests.factories import make_user
from tests.factories.shops import apply_for_shop, category_named, make_open_shop, make_reviewer, pdf_bytes

BASE = "/api/v1/governance/shops"


def test_review_queue_is_for_staff_and_oldest_first(client: TestClient, session: Session) -> None:
    ids = []
    for hours in (0, 1, 2):
        with clock.travel(timedelta(hours=hours)):
            ids.append(apply_for_shop(session)[0])
    _, staff = make_reviewer(session)
    _, admin = make_user(session, Role.ADMIN)
    _, _, merchant = make_open_shop(session)
    for headers in (staff, admin):
        page = client.get(f"{BASE}/review-queue", params={"limit": 2}, headers=headers).json()
        assert ([s["id"] for s in page["items"]], page["total"]) == (ids[:2], 3)
    assert client.get(f"{BASE}/review-queue", headers=merchant).status_code == 403
    assert client.get(f"{BASE}/review-queue").status_code == 401
    assert client.get(f"{BASE}/review-queue", params={"limit": 0}, headers=staff).status_code == 422


def test_approve_waits_for_qualifications_then_opens_the_shop(client: TestClient, session: Session) -> None:
    shop_id, _, owner = apply_for_shop(session, category_named(session, "食品饮料"))
    _, staff = make_reviewer(session)
    r = client.post(f"{BASE}/{shop_id}/approve", json={}, headers=staff)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "MISSING_QUALIFICATIONS"
    assert r.json()["error"]["details"]["missing"] == ["food_license"]
    assert "食品经营许可证" in r.json()["error"]["message"]
    # The merchant cannot approve its own application.
    assert client.post(f"{BASE}/{shop_id}/approve", json={}, headers=owner).status_code == 403
    client.post(
        f"/api/v1/shops/{shop_id}/documents",
        data={"kind": "food_license"},
        files={"file": ("food.pdf", pdf_bytes(), "application/pdf")},
        headers=owner,
    )
    detail = client.get(f"{BASE}/{shop_id}", headers=staff).json()
    assert detail["missing_documents"] == [] and [d["kind"] for d in detail["documents"]] == ["food_license"]
    assert [e["kind"] for e in detail["events"]] == ["applied", "document_uploaded"]
    r = client.post(f"{BASE}/{shop_id}/approve", json={"reason": "资质齐全"}, headers=staff)
    assert (r.status_code, r.json()["status"]) == (200, "open")
    assert "merchant_owner" in client.get("/api/v1/accounts/me", headers=owner).json()["roles"]


def test_reject_with_a_reason(client: TestClient, session: Session) -> None:
    shop_id, _, owner = apply_for_shop(session)
    _, staff = make_reviewer(session)
    r = client.post(f"{BASE}/{shop_id}/reject", json={"reason": ""}, headers=staff)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REASON_REQUIRED")
    r = client.post(f"{BASE}/{shop_id}/reject", json={"reason": "经营范围与类目不符"}, headers=staff)
    assert (r.status_code, r.json()["review_state"]) == (200, "rejected")
    assert client.get("/api/v1/shops/mine", headers=owner).json()[0]["review_reason"] == "经营范围与类目不符"


def test_staff_transitions_over_http(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    _, staff = make_reviewer(session)
    assert client.post(f"{BASE}/{shop_id}/freeze", json={"reason": "x"}, headers=owner).status_code == 403
    steps = [
        ("restrict", "restricted"),
        ("lift", "open"),
        ("freeze", "frozen"),
        ("unfreeze", "open"),
        ("close", "closed"),
    ]
    for action, status in steps:
        r = client.post(f"{BASE}/{shop_id}/{action}", json={"reason": f"理由：{action}"}, headers=staff)
        assert (r.status_code, r.json()["status"]) == (200, status), r.text
    r = client.post(f"{BASE}/{shop_id}/unfreeze", json={"reason": "再开"}, headers=staff)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "INVALID_TRANSITION")
    trail = client.get(f"/api/v1/shops/{shop_id}/events", headers=owner).json()
    assert [(e["kind"], e["reason"]) for e in trail[2:]] == [
        (f"{k}", f"理由：{a}")
        for a, k in [
            ("restrict", "restricted"),
            ("lift", "restriction_lifted"),
            ("freeze", "frozen"),
            ("unfreeze", "unfrozen"),
            ("close", "closed"),
        ]
    ]
    listed = client.get(BASE, params={"status": "closed"}, headers=staff).json()
    assert [s["id"] for s in listed["items"]] == [shop_id]
    assert client.get(BASE, params={"status": "sleeping"}, headers=staff).status_code == 422
    assert client.get(f"{BASE}/999999", headers=staff).status_code == 404

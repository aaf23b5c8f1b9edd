"""The JSON API: a report through to an appeal, and refusals with stable codes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_user
from tests.factories.catalog import make_listed_product
from tests.factories.shops import make_open_shop
from tests.integration.governance.helpers import seeded, staff


def test_report_case_appeal_over_the_api(client: TestClient, session: Session) -> None:
    seeded(session)
    shop_id, _, owner = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    _, buyer = make_user(session)
    _, first = staff(session)
    _, second = staff(session)
    assert len(client.get("/api/v1/rules").json()) >= 60
    assert client.get("/api/v1/rules/ZZ-99").json()["error"]["code"] == "RULE_NOT_FOUND"
    body = {"target_kind": "product", "target_id": product.id, "rule_code": "LST-06", "description": "盗图"}
    refused = client.post("/api/v1/reports", headers=buyer, json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "EVIDENCE_REQUIRED"
    gone = client.post(
        "/api/v1/reports", headers=buyer, json={**body, "target_id": 2**63 - 1, "links": ["https://a.cn/x"]}
    )
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "REPORT_TARGET_NOT_FOUND"
    made = client.post(
        "/api/v1/reports", headers=buyer, json={**body, "links": ["https://example.cn/original"]}
    )
    assert made.status_code == 201
    report_id = made.json()["id"]
    assert client.get("/api/v1/governance/reports", headers=buyer).status_code == 403
    queue = client.get("/api/v1/governance/reports", headers=first).json()
    assert [r["id"] for r in queue["items"]] == [report_id]
    decided = client.post(
        f"/api/v1/governance/reports/{report_id}/decide",
        headers=first,
        json={"upheld": True, "note": "原图作者已证实"},
    )
    case_id = decided.json()["case_id"]
    case = client.post(
        f"/api/v1/governance/cases/{case_id}/decide",
        headers=first,
        json={"violation": True, "note": "盗用图片"},
    ).json()
    assert case["status"] == "violation" and {p["kind"] for p in case["penalties"]} == {"delist", "points"}
    violations = client.get(f"/api/v1/shops/{shop_id}/violations", headers=owner).json()
    assert violations["items"][0]["id"] == case_id
    assert client.get(f"/api/v1/shops/{shop_id}/violations", headers=buyer).status_code == 403
    appeal = client.post(
        f"/api/v1/me/cases/{case_id}/appeal", headers=owner, json={"statement": "图片为本店自行拍摄，附原片"}
    )
    assert appeal.status_code == 201
    again = client.post(
        f"/api/v1/me/cases/{case_id}/appeal", headers=owner, json={"statement": "再申诉一次试试"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "APPEAL_EXISTS"
    appeal_id = appeal.json()["id"]
    same = client.post(
        f"/api/v1/governance/appeals/{appeal_id}/decide",
        headers=first,
        json={"upheld": False, "note": "维持"},
    )
    assert same.status_code == 403 and same.json()["error"]["code"] == "SAME_DECIDER"
    done = client.post(
        f"/api/v1/governance/appeals/{appeal_id}/decide",
        headers=second,
        json={"upheld": False, "note": "原片时间晚于他人发布"},
    )
    assert done.json()["status"] == "rejected"
    trail = client.get(f"/api/v1/governance/cases/{case_id}/trail", headers=second).json()
    assert [t["action"] for t in trail][-1] == "appeal_rejected"
    board = client.get("/api/v1/governance/dashboard", headers=second).json()
    assert board["cases_by_rule"] == [{"code": "LST-06", "title": "商品图片侵权", "cases": 1}]

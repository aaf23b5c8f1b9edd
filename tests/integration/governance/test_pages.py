"""The governance pages end to end, as the browser sends them: report, decide, 违规记录, appeal, rules."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.governance.models import Appeal, Case, CaseStatus, Report
from tests.factories import make_user
from tests.factories.catalog import make_listed_product
from tests.factories.shops import image_bytes, make_open_shop
from tests.integration.governance.helpers import seeded, staff


def test_report_decide_appeal_and_reverse_through_the_pages(client: TestClient, session: Session) -> None:
    seeded(session)
    shop_id, _, owner = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    _, buyer = make_user(session)
    _, first = staff(session)
    _, second = staff(session)

    assert "规则中心" in client.get("/rules").text
    assert "假一赔三" in client.get("/rules/CTF-01").text
    form = client.get(f"/report?kind=product&target={product.id}", headers=buyer)
    assert form.status_code == 200 and "虚假宣传" in form.text
    missing = client.post(
        "/report",
        headers=buyer,
        data={"kind": "product", "target_id": str(product.id), "rule_code": "PRC-01"},
    )
    assert missing.status_code == 422 and "需要提供证据" in missing.text
    sent = client.post(
        "/report",
        headers=buyer,
        data={
            "kind": "product",
            "target_id": str(product.id),
            "rule_code": "PRC-01",
            "description": "宣称包治百病",
        },
        files={"photos": ("proof.png", image_bytes(), "image/png")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    report_id = session.scalars(select(Report.id)).one()
    session.commit()  # end the read: SQLite writers take turns
    queue = client.get("/governance/reports", headers=first)
    assert f"#{report_id}" in queue.text
    page = client.get(f"/governance/reports/{report_id}", headers=first)
    assert "/api/v1/governance-evidence/" in page.text
    client.post(
        f"/governance/reports/{report_id}/decide", headers=first, data={"upheld": "1", "note": "宣传不实"}
    )
    session.expire_all()
    case_id = session.scalars(select(Case.id)).one()
    session.commit()
    decided = client.post(
        f"/governance/cases/{case_id}/decide",
        headers=first,
        data={"violation": "1", "note": "广告宣称治疗功效", "rule_code": "PRC-01"},
        follow_redirects=True,
    )
    assert "违规成立" in decided.text and "处理轨迹" in decided.text
    record = client.get(f"/merchant/violations?shop={shop_id}", headers=owner)
    assert "PRC-01" in record.text and "扣4分" in record.text
    detail = client.get(f"/merchant/violations/{case_id}", headers=owner)
    assert (
        "提交申诉" in detail.text and "/api/v1/governance-evidence/" not in detail.text
    )  # the reporter's photo stays hidden
    client.post(
        f"/merchant/violations/{case_id}/appeal", headers=owner, data={"statement": "页面已无此宣传，附截图"}
    )
    appeal_id = session.scalars(select(Appeal.id)).one()
    session.commit()
    same = client.post(
        f"/governance/appeals/{appeal_id}/decide",
        headers=first,
        data={"upheld": "1", "note": "自己复核"},
        follow_redirects=True,
    )
    assert "原判定人以外" in same.text
    client.post(
        f"/governance/appeals/{appeal_id}/decide",
        headers=second,
        data={"upheld": "1", "note": "证据不足，撤销"},
    )
    session.expire_all()
    assert session.scalar(select(Case.status).where(Case.id == case_id)) == CaseStatus.REVERSED
    session.commit()
    assert "申诉成功" in client.get(f"/merchant/violations?shop={shop_id}", headers=owner).text
    rated = client.post(
        f"/me/reports/{report_id}/rating", headers=buyer, data={"stars": "5"}, follow_redirects=True
    )
    assert "你的评价" in rated.text
    board = client.get("/governance/dashboard", headers=second)
    assert "<svg" in board.text and "100.0%" in board.text


def test_a_rule_change_is_a_new_version_and_staff_only(client: TestClient, session: Session) -> None:
    seeded(session)
    _, buyer = make_user(session)
    _, editor = staff(session)
    assert client.get("/governance/rules/SHP-01", headers=buyer).status_code == 403
    page = client.get("/governance/rules/SHP-01", headers=editor)
    assert page.status_code == 200
    penalties = '{"first": {"points": 2, "actions": [{"kind": "warning"}]}, "repeat": {"points": 4, "actions": [{"kind": "traffic_cut", "days": 7}]}}'
    client.post(
        "/governance/rules/SHP-01",
        headers=editor,
        data={
            "title": "延迟发货",
            "severity": "general",
            "text": "商家应在承诺时间内发货，未约定的须在支付后48小时内发货。",
            "penalties": penalties,
            "change_note": "提高扣分",
        },
    )
    public = client.get("/api/v1/rules/SHP-01").json()
    assert [v["version"] for v in public["versions"]] == [2, 1]
    assert public["current"]["penalties"]["first"]["points"] == 2

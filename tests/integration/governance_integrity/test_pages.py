"""The pages: staff start a counterfeit procedure from the console and watch its progress page
fill up to the final report; a second start shows the refusal; the campaign, inspection and brand
pages render; the merchant's 品牌授权 page lists and refuses an expired authorisation."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.governance import counterfeit
from laotie.governance.counterfeit_refund import drive
from tests.factories.access import fresh_headers
from tests.factories.web import sign_in
from tests.integration.governance_integrity.factories import fake_seller


def test_counterfeit_console_and_progress_page(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=2, price_fen=2500)
    sign_in(client, fresh_headers(session, seller.staff.user_id, (Role.GOVERNANCE,))())
    session.commit()
    form = {
        "shop_id": str(seller.sale.shop_id),
        "product_ids": str(seller.sale.product_id),
        "reason": "鉴定为假",
        "case_id": "31",
        "compensation_multiple": "3",
    }
    started = client.post("/governance/counterfeit", data=form, follow_redirects=False)
    assert started.status_code == 303
    run_url = started.headers["location"]
    page = client.get(run_url).text
    assert 'id="run-progress"' in page and 'http-equiv="refresh"' in page
    again = client.post("/governance/counterfeit", data=form, follow_redirects=False)
    assert again.headers["location"] == "/governance/counterfeit"
    assert "不能重复启动" in client.get("/governance/counterfeit").text
    session.rollback()
    run_id = counterfeit.list_runs(session)[0].id
    session.rollback()  # SQLite: let the refund's own sessions write
    drive(db, run_id)
    done = client.get(run_url).text
    assert "最终报告" in done and "¥50.00" in done and "¥150.00" in done and "refresh" not in done
    for url in ("/governance/campaigns", "/governance/inspections", "/governance/brands"):
        assert client.get(url).status_code == 200


def test_merchant_brand_page(client: TestClient, session: Session) -> None:
    from tests.factories.shops import make_open_shop

    shop_id, _, headers = make_open_shop(session)
    sign_in(client, headers)
    page = client.get(f"/merchant/shops/{shop_id}/brands")
    assert page.status_code == 200 and "品牌授权" in page.text and "请先上传品牌授权书" in page.text

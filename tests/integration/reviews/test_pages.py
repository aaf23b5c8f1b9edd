"""The review pages through HTTP as a browser posts them: 待评价, the form with a photo, 我的评价 with a
follow-up, the product page's section with its filters, and the merchant's 评价管理 with a reply."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from tests.factories.catalog import image_bytes
from tests.factories.orders import make_on_sale
from tests.factories.shops import make_reviewer
from tests.factories.web import sign_in, sign_out
from tests.integration.reviews.helpers import received


def test_buyer_reviews_with_a_photo_and_the_merchant_replies(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    product = got.bought.sale.product_id
    sign_in(client, got.buyer)
    orders_page = client.get("/orders").text
    assert f"/reviews/pending?order={got.bought.order_id}" in orders_page
    pending = client.get("/reviews/pending").text
    assert f"/reviews/new?line={got.line_id}" in pending
    form = client.get(f"/reviews/new?line={got.line_id}")
    assert form.status_code == 200 and "描述相符" in form.text and "晒图" in form.text
    posted = client.post(
        "/reviews/new",
        data={
            "line": str(got.line_id),
            "product_stars": "4",
            "service_stars": "5",
            "logistics_stars": "3",
            "text": "颜色很正，尺码偏小，建议拍大一码",
            "anonymous": "1",
        },
        files=[("photos", ("a.jpg", image_bytes(fmt="JPEG"), "image/jpeg"))],
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/reviews/mine"
    mine = client.get("/reviews/mine").text
    assert "颜色很正，尺码偏小" in mine and "尺码偏小" in mine and "追加评价" in mine
    assert "/api/v1/reviews/photos/" in mine
    assert "没有待评价的商品" in client.get("/reviews/pending").text
    # A second post of the same line is refused on the form, in Chinese.
    again = client.post("/reviews/new", data={"line": str(got.line_id), "text": "再来"})
    assert again.status_code in (404, 409) and "已经评价" in again.text
    followup = client.post(f"/reviews/{_review_id(client, got.buyer)}/followup", data={"text": "洗了不掉色"})
    assert followup.status_code == 200 and "追评成功" in followup.text

    sign_out(client)
    section = client.get(f"/p/{product}/reviews?part=1").text
    assert "颜色很正" in section and "已购" in section and "好评率" in section and "尺码偏小 1" in section
    assert "洗了不掉色" in section and "**" in section
    assert "颜色很正" not in client.get(f"/p/{product}/reviews?filter=bad").text
    assert "颜色很正" in client.get(f"/p/{product}/reviews?filter=photos").text
    assert 'id="reviews"' in client.get(f"/p/{product}").text

    sign_in(client, got.owner)
    shop = got.bought.sale.shop_id
    manage = client.get(f"/merchant/shops/{shop}/reviews").text
    assert "颜色很正" in manage and "回复买家" in manage
    rid = _review_id(client, got.buyer)
    stranger = make_on_sale(session)
    sign_in(client, stranger.owner_headers)
    refused = client.post(
        f"/merchant/reviews/{rid}/reply", data={"text": "我也回", "shop": str(stranger.shop_id)}
    )
    assert "只有被评价店铺的商家可以回复" in refused.text
    sign_in(client, got.owner)
    replied = client.post(f"/merchant/reviews/{rid}/reply", data={"text": "谢谢老铁", "shop": str(shop)})
    assert replied.status_code == 200 and "回复成功" in replied.text
    assert "谢谢老铁" in client.get(f"/merchant/shops/{shop}/reviews?rating=good").text
    assert "没有符合条件的评价" in client.get(f"/merchant/shops/{shop}/reviews?rating=bad").text
    sign_in(client, got.buyer)
    assert "商家回复：</b>谢谢老铁" in client.get("/reviews/mine").text


def _review_id(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/reviews/mine", headers=headers).json()["items"][0]["id"])


def test_staff_release_held_and_remove_reported_on_the_governance_page(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bribed = received(client, app, db, session)
    body = {"order_line_id": bribed.line_id, "product_stars": 5, "service_stars": 5, "logistics_stars": 5}
    held = client.post("/api/v1/reviews", headers=bribed.buyer, json={**body, "text": "商家说好评返现10元"})
    assert held.json()["status"] == "held"
    fine = received(client, app, db, session, sale=bribed.bought.sale)
    body = {**body, "order_line_id": fine.line_id, "text": "很好"}
    shown = client.post("/api/v1/reviews", headers=fine.buyer, json=body).json()["id"]
    client.post(f"/api/v1/reviews/{shown}/reports", headers=bribed.buyer, json={"reason": "fake"})
    _, staff = make_reviewer(session)
    session.rollback()
    sign_in(client, staff)
    page = client.get("/governance/reviews").text
    assert "好评返现10元" in page and "放行评价" in page and "虚假评价" in page
    assert "评价治理" in client.get("/governance").text
    done = client.post(f"/governance/reviews/{held.json()['id']}/release", data={"part": "review"})
    assert "已放行" in done.text and "没有待审核的评价" in done.text
    gone = client.post(f"/governance/reviews/{shown}/remove", data={"reason": "举报属实"})
    assert "不再计入评分" in gone.text and "没有待处理的举报" in gone.text
    summary = client.get(f"/api/v1/reviews/products/{bribed.bought.sale.product_id}/summary").json()
    assert summary["count"] == 1  # the released one counts, the removed one no longer does
    sign_in(client, bribed.owner)
    assert client.get("/governance/reviews").status_code == 403

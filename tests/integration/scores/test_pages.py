"""店铺评分 page (the merchant's, nobody else's), and the DSR shown on the product page, the live cart
and the alliance market."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.web.pages_scores import chart
from tests.factories import make_user
from tests.factories.orders import make_on_sale
from tests.factories.web import sign_in
from tests.integration.scores.helpers import category_of, publish, review_payload


def test_a_new_shop_reads_no_score_and_others_cannot_look(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    sign_in(client, sale.owner_headers)
    page = client.get(f"/merchant/shops/{sale.shop_id}/scores")
    assert page.status_code == 200
    assert "店铺评分" in page.text and "暂无评分" in page.text and "当前没有因评分产生的流量" in page.text
    _, stranger = make_user(session)
    session.commit()
    sign_in(client, stranger)
    assert client.get(f"/merchant/shops/{sale.shop_id}/scores").status_code in (403, 404)
    assert client.get(f"/merchant/shops/{2**63 - 1}/scores").status_code in (403, 404)


def test_scores_page_and_product_page_show_the_figures(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    cat = category_of(session, sale.product_id)
    publish(session, app, [review_payload(sale.product_id, sale.shop_id, cat, (5, 5, 4)) for _ in range(8)])
    publish(session, app, [review_payload(sale.product_id, sale.shop_id, cat, (1, 1, 1)) for _ in range(3)])
    sign_in(client, sale.owner_headers)
    page = client.get(f"/merchant/shops/{sale.shop_id}/scores").text
    assert "<svg" in page and ("<polyline" in page or "<circle" in page)
    assert "新评价" in page and "描述相符" in page and "商品分与价格力" in page
    product = client.get(f"/p/{sale.product_id}").text
    assert "店铺评分" in product and ("高于同行" in product or "低于同行" in product)
    assert client.get("/alliance").status_code == 200


def test_chart_geometry() -> None:
    from datetime import date, timedelta

    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(5)]
    g = chart(list(zip(days, [None, 4.0, 5.0, None, 3.0], strict=True)), 3.0, 5.0)
    # x spreads the 5 days over 4..316; y maps 3..5 onto 86..4; a lone value is a dot
    assert g["lines"] == ["82.0,45.0 160.0,4.0"] and g["dots"] == ["316.0,86.0"]
    assert g["first"] == days[0] and not g["empty"]
    assert chart([(days[0], None)], 0, 100)["empty"]

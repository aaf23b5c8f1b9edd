"""Shipping templates over HTTP: the merchant manages them; buyers see the quote before buying."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.logistics.models import ShippingTemplate
from tests.factories.logistics import STANDARD
from tests.factories.orders import make_on_sale


def _count(session: Session) -> int:
    session.rollback()
    n = session.scalar(select(func.count()).select_from(ShippingTemplate)) or 0
    session.rollback()  # on SQLite an open transaction would hold the write lock the app needs
    return n


def test_merchant_manages_templates_and_buyers_see_the_quote(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=3000)
    base = f"/api/v1/shops/{sale.shop_id}/shipping-templates"
    h = sale.owner_headers
    created = client.post(base, json=STANDARD, headers=h)
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["default"] == {
        "first_units": 1,
        "first_fee_fen": 800,
        "extra_units": 1,
        "extra_fee_fen": 200,
    }
    quote_url = f"/api/v1/products/{sale.product_id}/shipping-quote"
    # No template yet: 包邮
    assert client.get(quote_url, params={"region": "330000"}).json()["label"] == "包邮"
    put = client.put(
        f"/api/v1/shops/{sale.shop_id}/products/{sale.product_id}/shipping",
        json={"template_id": template["id"], "weight_g": 500},
        headers=h,
    )
    assert put.status_code == 200 and put.json()["template_id"] == template["id"]
    q = client.get(quote_url, params={"region": "330106", "quantity": 2}).json()  # a district of 浙江
    assert (q["fee_fen"], q["label"], q["province_code"]) == (1000, "运费 ¥10.00", "330000")
    assert client.get(quote_url, params={"region": "440000"}).json()["fee_fen"] == 500
    assert client.get(quote_url, params={"region": "330000", "quantity": 4}).json()["label"] == "包邮"  # 满99
    assert client.get(quote_url, params={"region": "810000"}).json() == {
        "served": False,
        "fee_fen": 0,
        "label": "该地区不配送",
        "province_code": "810000",
        "consolidated": False,
        "hub_province_code": None,
        "platform_leg_fen": 0,
    }
    xj = client.get(quote_url, params={"region": "650000"}).json()
    assert xj["consolidated"] and xj["fee_fen"] == 800 and xj["platform_leg_fen"] == 1200
    assert "新疆集运" in xj["label"]
    assert (
        client.get(quote_url, params={"region": "650000", "quantity": 4}).json()["label"]
        == "新疆地区集运包邮"
    )
    assert client.get(quote_url, params={"region": "999999"}).status_code == 404
    # list, update, and the product count
    listed = client.get(base, headers=h).json()
    assert [(t["id"], t["products"]) for t in listed] == [(template["id"], 1)]
    cheaper = client.put(
        f"{base}/{template['id']}", json={**STANDARD, "default": {"first_fee_fen": 600}}, headers=h
    )
    assert cheaper.status_code == 200
    assert client.get(quote_url, params={"region": "330000"}).json()["fee_fen"] == 600
    # in use: not deleted; after moving the product to 包邮 it goes
    in_use = client.delete(f"{base}/{template['id']}", headers=h)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "SHIPPING_TEMPLATE_IN_USE"
    client.put(
        f"/api/v1/shops/{sale.shop_id}/products/{sale.product_id}/shipping",
        json={"template_id": None},
        headers=h,
    )
    assert client.delete(f"{base}/{template['id']}", headers=h).status_code == 204
    assert _count(session) == 0


def test_bad_templates_are_refused_and_nothing_is_written(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    base = f"/api/v1/shops/{sale.shop_id}/shipping-templates"
    negative = client.post(
        base, json={**STANDARD, "default": {"first_fee_fen": -100}}, headers=sale.owner_headers
    )
    assert negative.status_code == 422 and negative.json()["error"]["code"] == "VALIDATION_ERROR"
    overlap = {
        **STANDARD,
        "regions": [
            {"provinces": ["650000", "540000"], "first_fee_fen": 1500},
            {"provinces": ["540000"], "first_fee_fen": 2000},
        ],
    }
    r = client.post(base, json=overlap, headers=sale.owner_headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_SHIPPING_TEMPLATE"
    assert "540000" in r.json()["error"]["message"]
    excluded_and_priced = {**STANDARD, "excluded": ["440000"]}  # 广东 has a region rule too
    assert client.post(base, json=excluded_and_priced, headers=sale.owner_headers).status_code == 422
    city = {**STANDARD, "excluded": ["330100"]}
    assert client.post(base, json=city, headers=sale.owner_headers).json()["error"]["code"] == (
        "INVALID_SHIPPING_TEMPLATE"
    )
    other = make_on_sale(session)
    stranger = client.post(base, json=STANDARD, headers=other.owner_headers)
    assert stranger.status_code in (403, 404)
    assert _count(session) == 0
    # a product of another shop cannot be put under this shop's template
    ok = client.post(base, json=STANDARD, headers=sale.owner_headers).json()
    cross = client.put(
        f"/api/v1/shops/{other.shop_id}/products/{other.product_id}/shipping",
        json={"template_id": ok["id"]},
        headers=other.owner_headers,
    )
    assert cross.status_code == 404 and cross.json()["error"]["code"] == "SHIPPING_TEMPLATE_NOT_FOUND"

"""Promotions over HTTP: a merchant makes a coupon and a multi-buy, staff a subsidy, a buyer claims,
quotes (who funds each discount) and checks out with the coupon."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.auth import Role
from tests.factories import make_user
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.promotions import window


def test_merchant_staff_and_buyer_over_http(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    _, staff = make_user(session, Role.GOVERNANCE)
    start, end = (t.isoformat() for t in window())
    r = client.post(
        f"/api/v1/shops/{sale.shop_id}/coupons",
        headers=sale.owner_headers,
        json={
            "name": "满150减20",
            "threshold_fen": 15000,
            "cut_fen": 2000,
            "total_quantity": 10,
            "valid_from": start,
            "valid_until": end,
        },
    )
    assert r.status_code == 201, r.text
    coupon_id = r.json()["id"]
    r = client.post(
        f"/api/v1/shops/{sale.shop_id}/multibuys",
        headers=sale.owner_headers,
        json={
            "name": "2件9折",
            "tiers": [{"pieces": 2, "percent_off_bp": 1000}],
            "starts_at": start,
            "ends_at": end,
        },
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        f"/api/v1/shops/{sale.shop_id}/multibuys",
        headers=sale.owner_headers,
        json={
            "name": "x",
            "tiers": [{"pieces": 2, "percent_off_bp": 1000}],
            "starts_at": end,
            "ends_at": start,
        },
    )
    assert bad.status_code == 422
    r = client.post(
        "/api/v1/admin/promotions/subsidies",
        headers=staff,
        json={
            "sku_id": sale.sku_id,
            "per_unit_fen": 1000,
            "budget_fen": 100_000,
            "starts_at": start,
            "ends_at": end,
        },
    )
    assert r.status_code == 201, r.text
    assert (
        client.post("/api/v1/admin/promotions/subsidies", headers=buyer.headers, json={}).status_code == 403
    )
    assert [c["id"] for c in client.get(f"/api/v1/coupons?shop_id={sale.shop_id}").json()] == [coupon_id]
    r = client.post(f"/api/v1/coupons/{coupon_id}/claim", headers=buyer.headers)
    assert r.status_code == 201, r.text
    wallet_id = r.json()["id"]
    again = client.post(f"/api/v1/coupons/{coupon_id}/claim", headers=buyer.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "COUPON_LIMIT_REACHED"
    assert [c["id"] for c in client.get("/api/v1/me/coupons", headers=buyer.headers).json()] == [wallet_id]

    promo = client.get(f"/api/v1/products/{sale.product_id}/promotions").json()
    assert promo["skus"][0]["subsidy_fen"] == 1000 and promo["multibuys"][0]["tiers"] == [[2, 1000]]

    quote = client.post(
        "/api/v1/checkout/quote",
        headers=buyer.headers,
        json={"lines": [{"sku_id": sale.sku_id, "quantity": 2}], "coupon_ids": [wallet_id]},
    )
    assert quote.status_code == 200, quote.text
    q = quote.json()
    # 20000 list; subsidy 2000 (platform); multi-buy 10% of 18000 = 1800 (shop); coupon 2000 (shop)
    assert q["list_fen"] == 20000 and q["payable_fen"] == 20000 - 2000 - 1800 - 2000
    shop = q["shops"][0]
    assert shop["platform_funded_fen"] == 2000 and shop["shop_funded_fen"] == 3800
    assert [d["kind"] for d in shop["lines"][0]["discounts"]] == ["subsidy", "multibuy", "shop_coupon"]

    placed = client.post(
        "/api/v1/checkout",
        headers={**buyer.headers, "Idempotency-Key": "promo-http-1"},
        json={
            "lines": [{"sku_id": sale.sku_id, "quantity": 2, "expected_unit_price_fen": sale.price_fen}],
            "address_id": buyer.address_id,
            "coupon_ids": [wallet_id],
        },
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["orders"][0]["payable_fen"] == q["payable_fen"]
    order = client.get(f"/api/v1/orders/{placed.json()['orders'][0]['id']}", headers=buyer.headers).json()
    assert order["subsidy_fen"] == 2000 and order["discount_fen"] == 5800
    assert {d["funded_by"] for d in order["lines"][0]["discounts"]} == {"shop", "platform"}
    used = client.get("/api/v1/me/coupons?status=used", headers=buyer.headers).json()
    assert [c["id"] for c in used] == [wallet_id]
    reuse = client.post(
        "/api/v1/checkout/quote",
        headers=buyer.headers,
        json={"lines": [{"sku_id": sale.sku_id, "quantity": 2}], "coupon_ids": [wallet_id]},
    )
    assert reuse.status_code == 409 and reuse.json()["error"]["code"] == "COUPON_ALREADY_USED"

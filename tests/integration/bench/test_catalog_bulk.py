"""The bulk catalogue seeder (bench/catalog_bulk.py) against the services: a product written in bulk
looks to the API exactly as one made through the services, is on the shelf and in its category
branch, is found by search and can be bought and paid for (the ledger check runs after each test)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog.models import Product, Sku
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.payments.schemas import IntentOut
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from catalog_bulk import bulk_seed

PRODUCTS = 300


def _shape(value: Any) -> Any:
    """The keys of a JSON document, recursively (lists by their first element), without values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items()) if not isinstance(v, list | dict) or v}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def test_a_bulk_seeded_product_looks_and_sells_like_a_service_seeded_one(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    made = make_on_sale(session, stock=10, price_fen=4900)  # through the services
    buyer = make_buyer(session)
    OutboxWorker(db).run_until_idle()  # the service-made product's events: search indexes it
    report = bulk_seed(db.url, PRODUCTS, shops=3, progress=False)
    assert (report["products"], report["shops"]) == (PRODUCTS, 3)
    assert report["skus"] == session.scalar(select(func.count(Sku.id))) - 1
    bulk_id = session.scalar(select(func.max(Product.id)))
    assert bulk_id is not None and bulk_id > made.product_id
    session.commit()  # on SQLite an open transaction holds the one write lock the order needs

    service_detail = client.get(f"/api/v1/products/{made.product_id}").json()
    bulk = client.get(f"/api/v1/products/{bulk_id}")
    assert bulk.status_code == 200, bulk.text
    detail = bulk.json()
    assert detail.keys() == service_detail.keys()
    assert detail["skus"] and detail["skus"][0].keys() == service_detail["skus"][0].keys()
    assert detail["min_price_fen"] == min(s["price_fen"] for s in detail["skus"])
    assert detail["total_stock"] == sum(s["stock"] for s in detail["skus"])
    assert detail["category_path"] and detail["listed_at"] is not None

    shelf = client.get("/api/v1/products", params={"limit": 100}).json()
    assert shelf["total"] == PRODUCTS + 1
    cards = {c["id"]: c for c in shelf["items"]}
    assert bulk_id in cards  # newest first among equal sales
    service_card = client.get("/api/v1/products", params={"shop_id": made.shop_id}).json()["items"][0]
    assert cards[bulk_id].keys() == service_card.keys()
    assert _shape(cards[bulk_id]) == _shape(service_card)
    for category in (detail["category_id"], *_ancestors(client, detail["category_id"])):
        ids = _all_ids(client, {"category_id": category})
        assert bulk_id in ids, f"not on the shelf of category {category}"
    assert _all_ids(client, {"shop_id": detail["shop_id"]}) == _all_ids(
        client, {"shop_id": detail["shop_id"], "sort": "newest"}
    )

    by_shop = client.get(
        "/api/v1/search/products", params={"shop_id": detail["shop_id"], "limit": 100}
    ).json()
    assert bulk_id in [h["id"] for h in by_shop["items"]]

    in_stock = next(s for s in detail["skus"] if s["stock"] > 0)
    placed = client.post(
        "/api/v1/orders/buy-now",
        json={
            "sku_id": in_stock["id"],
            "quantity": 1,
            "expected_unit_price_fen": in_stock["price_fen"],
            "address_id": buyer.address_id,
        },
        headers={**buyer.headers, "Idempotency-Key": "bulk-1"},
    )
    assert placed.status_code == 201, placed.text
    checkout_id = placed.json()["checkout_id"]
    pay = client.post(
        f"/api/v1/checkouts/{checkout_id}/pay", headers={**buyer.headers, "Idempotency-Key": "bulk-pay-1"}
    )
    assert pay.status_code == 200, pay.text
    assert confirm(client, IntentOut.model_validate(pay.json())).status_code == 202
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    order_id = placed.json()["orders"][0]["id"]
    order = client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()
    assert order["status"] == "paid" and order["shop_id"] == detail["shop_id"]
    after = client.get(f"/api/v1/products/{bulk_id}").json()
    assert next(s for s in after["skus"] if s["id"] == in_stock["id"])["stock"] == in_stock["stock"] - 1


def _ancestors(client: TestClient, category_id: int) -> list[int]:
    out, at = [], client.get(f"/api/v1/categories/{category_id}").json()["parent_id"]
    while at is not None:
        out.append(at)
        at = client.get(f"/api/v1/categories/{at}").json()["parent_id"]
    return out


def _all_ids(client: TestClient, params: dict[str, Any]) -> list[int]:
    ids: list[int] = []
    while True:
        page = client.get("/api/v1/products", params={**params, "limit": 100, "offset": len(ids)}).json()
        ids += [c["id"] for c in page["items"]]
        if len(ids) >= page["total"] or not page["items"]:
            return ids

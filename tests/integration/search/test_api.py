"""Search over HTTP: results with facets, bad input answered with a result or a clear 4xx (never a
5xx), live and video search, suggestions and hot searches; an order from a search carries channel
search and the query, and its sale reaches the index."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from laotie.search import service as search
from tests.factories.catalog import make_listed_product
from tests.factories.live import on_air
from tests.factories.orders import checkout_and_pay, checkout_body, make_buyer, make_on_sale
from tests.factories.shops import category_named, make_open_shop

BAD_QUERIES = [
    "",
    "连" * 1000,
    "😀😀😀",
    '"',
    "*",
    "连衣裙 NEAR 红色",
    "a OR b",
    '"unterminated AND (',
    "'; DROP TABLE search_doc; --",
    "\\",
    "%_",
    "NOT",
    "连衣裙*",
    "^连衣裙",
    "{title_tokens}: 裙",
]


def _drain(db: Database) -> None:
    OutboxWorker(db).run_until_idle()


def test_search_api_with_facets_and_bad_input(client: TestClient, session: Session, db: Database) -> None:
    shop_id, _, _ = make_open_shop(session, "花花女装")
    dress = category_named(session, "连衣裙")
    for i in range(3):
        make_listed_product(
            session, shop_id, category_id=dress, title=f"碎花连衣裙 {i}号", price_fen=5000 + i * 1000
        )
    _drain(db)
    r = client.get(
        "/api/v1/search/products", params={"q": "lianyiqun", "sort": "price_desc", "price_max_fen": 6500}
    )
    assert r.status_code == 200
    body = r.json()
    assert [h["min_price_fen"] for h in body["items"]] == [6000, 5000]
    assert body["facets"]["categories"][0]["label"] == "服饰内衣" and body["facets"]["free_shipping"] == 2
    for q in BAD_QUERIES:
        r = client.get("/api/v1/search/products", params={"q": q})
        assert r.status_code == 200, (q, r.text)
    assert (
        client.get("/api/v1/search/products", params={"q": "😀"}).json()["total"] == 3
    )  # nothing to search: browse
    reversed_range = client.get(
        "/api/v1/search/products", params={"price_min_fen": 6500, "price_max_fen": 5500}
    )
    assert [h["min_price_fen"] for h in reversed_range.json()["items"]] == [6000]
    assert client.get("/api/v1/search/products", params={"price_min_fen": -1}).status_code == 422
    unknown = client.get("/api/v1/search/products", params={"sort": "cheapest"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "UNKNOWN_SORT"
    assert client.get("/api/v1/search/products", params={"category_id": 999999}).status_code == 404
    assert client.get("/api/v1/search/products", params={"q": "x" * 1001}).status_code == 422
    for q in BAD_QUERIES:
        assert client.get("/api/v1/search/suggest", params={"q": q}).status_code == 200
        assert client.get("/api/v1/search/content", params={"q": q, "kind": "video"}).status_code == 200
    assert client.get("/api/v1/search/content", params={"kind": "shop"}).status_code == 422


def test_live_search_suggestions_and_hot_searches(client: TestClient, session: Session, db: Database) -> None:
    live = on_air(session)
    session.commit()
    _drain(db)
    found = client.get("/api/v1/search/content", params={"q": "秒杀", "kind": "live"}).json()["items"]
    assert [c["id"] for c in found] == [live.session_id]
    shop_id, _, _ = make_open_shop(session)
    make_listed_product(session, shop_id, category_id=category_named(session, "连衣裙"), title="法式茶歇裙")
    _drain(db)
    for _ in range(3):
        client.get("/api/v1/search/products", params={"q": "茶歇裙"})
    search.flush_query_log(session)
    session.commit()
    assert client.get("/api/v1/search/hot").json()[0] == {"query": "茶歇裙", "searches": 3}
    typed = [s["text"] for s in client.get("/api/v1/search/suggest", params={"q": "茶"}).json()["items"]]
    assert typed[0] == "茶歇裙"
    pinyin = [s["text"] for s in client.get("/api/v1/search/suggest", params={"q": "lianyi"}).json()["items"]]
    assert "连衣裙" in pinyin


def test_an_order_from_search_carries_the_query_and_counts_as_a_sale(
    client: TestClient, app: FastAPI, session: Session, db: Database
) -> None:
    sale = make_on_sale(session, price_fen=2900)
    _drain(db)
    buyer = make_buyer(session)
    body = checkout_body(buyer, (sale, 2))
    body.attribution = Attribution(channel=Channel.SEARCH, query="  好货   测试 ")
    placed = checkout_and_pay(client, app, db, session, buyer, body)
    order = client.get(f"/api/v1/orders/{placed.orders[0].id}", headers=buyer.headers).json()
    assert order["channel"] == "search" and order["search_query"] == "好货 测试"
    _drain(db)
    hit = search.search_products(session, "测试商品").items[0]
    assert hit.id == sale.product_id and hit.sales_count == 2

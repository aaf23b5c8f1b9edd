"""The fast path (``web.fast_reads``) answers exactly what the routes answer, and only what it may.

A request the fast path declines (an extra query parameter the route ignores or defaults) goes to the
route; the two answers must be the same bytes, status and headers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.http_cache import cache_for
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.feed import service as feed
from laotie.shops.models import Shop, ShopStatus
from laotie.web import fast_reads
from tests.factories.catalog import make_listed_product, make_listed_products, owner_principal
from tests.factories.shops import make_open_shop

HEADERS = ("etag", "cache-control", "content-type", "content-length")


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the fast path answered itself."""
    seen: list[str] = []
    real = fast_reads._answer

    async def counting(scope, send, ready, media, control):  # type: ignore[no-untyped-def]
        seen.append(scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else ""))
        await real(scope, send, ready, media, control)

    monkeypatch.setattr(fast_reads, "_answer", counting)
    yield seen


def _same(fast: Response, routed: Response) -> None:
    assert fast.status_code == routed.status_code
    assert fast.content == routed.content
    for name in HEADERS:
        assert fast.headers.get(name) == routed.headers.get(name), name


def test_the_fast_path_answers_what_the_routes_answer(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, colours=["红色", "黑色"])
    category = product.category_id
    pairs = [
        (f"/api/v1/products/{product.id}", f"/api/v1/products/{product.id}?unused=1"),
        ("/api/v1/products", "/api/v1/products?sort=default"),
        ("/api/v1/products?limit=5&offset=0", "/api/v1/products?limit=5&offset=0&sort=default"),
        (f"/api/v1/products?category_id={category}", f"/api/v1/products?category_id={category}&sort=default"),
        (f"/p/{product.id}", f"/p/{product.id}?sq="),
    ]
    for fast_path, routed_path in pairs:
        fast, routed = client.get(fast_path), client.get(routed_path)
        assert fast.status_code == 200
        _same(fast, routed)
        etag = fast.headers["etag"]
        _same(
            client.get(fast_path, headers={"If-None-Match": etag}),
            client.get(routed_path, headers={"If-None-Match": etag}),
        )
    assert sorted(set(answered)) == sorted({f for f, _ in pairs})
    # a price change in this process shows on the fast path at once
    sku = product.skus[0]
    catalog.set_sku_price(session, owner_principal(session, shop_id), sku.id, sku.price_fen + 700, "调价")
    session.commit()
    assert client.get(f"/api/v1/products/{product.id}").json()["skus"][0]["price_fen"] == sku.price_fen + 700


def test_what_the_fast_path_declines_keeps_the_routes_answer(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    assert client.get("/api/v1/products/999999").json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    assert client.get("/api/v1/products?category_id=999999").json()["error"]["code"] == "CATEGORY_NOT_FOUND"
    assert client.get("/api/v1/products?limit=0").status_code == 422
    assert client.get("/api/v1/products?limit=101").status_code == 422
    assert client.get("/api/v1/products?limit=5&limit=6").status_code == 200
    assert client.get(f"/api/v1/products/{2**63}").status_code == 422
    assert client.get("/p/999999").status_code == 404
    assert client.get("/p/0").status_code in (404, 422)
    # a visitor with a token (even a bad one) or a one-shot message gets the route's page
    client.cookies.set("laotie_flash", "hello")
    assert "hello" in client.get(f"/p/{product.id}").text
    client.cookies.clear()
    assert client.get(f"/p/{product.id}", headers={"Authorization": "Bearer nope"}).status_code in (200, 401)
    assert client.head(f"/api/v1/products/{product.id}").status_code in (200, 405)
    assert answered == []


def _drain(db: Database) -> None:
    OutboxWorker(db).run_until_idle()


def test_a_visitors_home_is_built_once_and_each_view_is_logged(
    client: TestClient, session: Session, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[bytes] = []
    real = fast_reads._send_html

    async def counting(send, html):  # type: ignore[no-untyped-def]
        sent.append(html)
        await real(send, html)

    monkeypatch.setattr(fast_reads, "_send_html", counting)
    feed.forget_pending_impressions()
    shop_id, _, _ = make_open_shop(session)
    products = make_listed_products(session, shop_id, 3)
    session.commit()
    _drain(db)
    first = client.get("/")
    assert first.status_code == 200 and all(f'/p/{p}"' in first.text for p in products)
    shown = feed.flush_impressions(session)
    assert shown >= 3
    again = client.get("/")  # kept: the fast path answers it, and logs this view as well
    assert again.content == first.content and sent == [first.content]
    assert feed.flush_impressions(session) == shown
    # a product delisted in this process leaves the visitors' home at once
    catalog.delist(session, owner_principal(session, shop_id), products[0])
    session.commit()
    _drain(db)
    assert f'/p/{products[0]}"' not in client.get("/").text
    # a one-shot message or a signed-in visitor gets a page of their own
    client.cookies.set("laotie_flash", "hi")
    assert "hi" in client.get("/").text
    session.commit()


def test_a_frozen_shops_product_leaves_the_fast_answers_within_the_bound_though_shop_facts_are_kept(
    client: TestClient, session: Session, db: Database
) -> None:
    """Shop facts are kept 10 s on product pages, but whether a product is shown comes from its own
    document (1 s): a shop frozen by another process takes its products off the detail and the page
    within the bound."""
    cache_for(db).ttl = 0.4
    other = Database(db.url, pool_size=2)
    try:
        shop_id, _, _ = make_open_shop(session)
        product = make_listed_product(session, shop_id)
        assert client.get(f"/p/{product.id}").status_code == 200
        assert client.get(f"/api/v1/products/{product.id}").status_code == 200
        with other.engine.begin() as conn:  # a writer in another process: this one's watch never sees it
            conn.execute(update(Shop).where(Shop.id == shop_id).values(status=ShopStatus.FROZEN))
        frozen_at = time.monotonic()
        for path in (f"/p/{product.id}", f"/api/v1/products/{product.id}"):
            while True:
                asked = time.monotonic()
                if client.get(path).status_code == 404:
                    break
                assert asked - frozen_at <= 0.4 + 0.05, f"{path} outlived the bound"
                time.sleep(0.02)
    finally:
        other.dispose()
        cache_for(db).ttl = 1.0

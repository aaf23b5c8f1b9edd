"""The hot public reads (issue 15): ETag and 304, keyset cursors, and the staleness bound.

"Another process" is a second ``Database`` on the same URL: its own engine and pool, so a write
through it is not seen by this process's write watch and reaches the cached reads only through the
TTL, exactly as a write in another ``laotie serve`` worker would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.http_cache import cache_for
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from tests.factories.catalog import (
    add_cover,
    list_product,
    make_listed_product,
    make_listed_products,
    make_product,
    owner_principal,
)
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.shops import make_open_shop

TTL = 0.4  # shorter than the default second, to keep the tests quick; the rule is the same


@pytest.fixture
def other_process(db: Database, app: FastAPI) -> Iterator[Database]:
    cache_for(db).ttl = TTL
    other = Database(db.url, pool_size=2)
    yield other
    other.dispose()
    cache_for(db).ttl = 1.0


def test_a_product_page_has_an_etag_and_answers_304(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    first = client.get(f"/api/v1/products/{product.id}")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": '"x"'}).status_code == 200
    # a change in this process is seen at once, with a new tag
    sku = product.skus[0]
    catalog.set_sku_price(session, owner_principal(session, shop_id), sku.id, sku.price_fen + 100, "调价")
    session.commit()
    changed = client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["skus"][0]["price_fen"] == sku.price_fen + 100
    shelf = client.get("/api/v1/products")
    assert client.get("/api/v1/products", headers={"If-None-Match": shelf.headers["etag"]}).status_code == 304


def test_the_detail_document_is_what_the_schema_says(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    shop_id, _, _ = make_open_shop(session)
    storage = LocalDiskStorage(tmp_path)
    made = make_product(session, shop_id, colours=["红色", "黑色", "白色"])
    add_cover(session, storage, made.id)
    add_cover(session, storage, made.id, width=64, height=48)  # a second image (SKUs and images: one read)
    product = list_product(session, made.id, shop_id)
    got = client.get(f"/api/v1/products/{product.id}").json()
    expected = catalog.get_listed(session, product.id).model_dump(mode="json")
    assert got == expected
    assert got["category_path"] and len(got["skus"]) == 3
    assert [i["position"] for i in got["images"]] == [0, 1] and got["images"][1]["width"] == 64
    assert client.get("/api/v1/products/999999").json()["error"]["code"] == "PRODUCT_NOT_FOUND"


def _walk(client: TestClient, sort: str, limit: int, between: list[int] | None = None) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = f"/api/v1/products?limit={limit}&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if between is not None and between:
            between.pop()()  # type: ignore[operator]
        if not cursor:
            return seen


@pytest.mark.parametrize("sort", ["default", "newest", "price_asc", "price_desc"])
def test_cursor_pages_have_no_duplicates_or_gaps_while_products_are_listed(
    client: TestClient, session: Session, sort: str
) -> None:
    shop_id, _, _ = make_open_shop(session)
    existing = make_listed_products(session, shop_id, 23)
    session.commit()

    def list_more() -> None:  # new products listed between pages
        make_listed_products(session, shop_id, 2)
        session.commit()

    seen = _walk(client, sort, 5, [list_more, list_more, list_more])
    assert len(seen) == len(set(seen)), "a product came twice"
    assert set(existing) <= set(seen), "a product listed before the walk was skipped"
    by_offset = [
        i
        for offset in range(0, 40, 10)
        for i in (
            item["id"]
            for item in client.get(f"/api/v1/products?limit=10&offset={offset}&sort={sort}").json()["items"]
        )
    ]
    assert _walk(client, sort, 7) == by_offset, "the cursor walks the same order as offsets"


def test_a_bad_cursor_is_refused(client: TestClient, session: Session) -> None:
    for cursor in ("nonsense", "WyJuZXdlc3QiXQ", "WyJkZWZhdWx0IiwgMSwgMiwgM10"):
        response = client.get(f"/api/v1/products?sort=newest&cursor={cursor}")
        assert (response.status_code, response.json()["error"]["code"]) == (422, "BAD_CURSOR")


def _price_in_other_process(other: Database, shop_id: int, sku_id: int, price_fen: int) -> None:
    with unit_of_work(other) as s:
        catalog.set_sku_price(s, owner_principal(s, shop_id), sku_id, price_fen, "另一进程调价")
        s.commit()


def test_a_change_in_another_process_shows_within_the_bound(
    client: TestClient, session: Session, other_process: Database
) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, stock=50)
    sku = product.skus[0]
    url = f"/api/v1/products/{product.id}"
    assert client.get(url).json()["skus"][0]["price_fen"] == sku.price_fen  # now cached

    changed_at = time.monotonic()
    _price_in_other_process(other_process, shop_id, sku.id, sku.price_fen + 500)
    with unit_of_work(other_process) as s:
        catalog.set_sku_stock(s, owner_principal(s, shop_id), sku.id, 7)
        s.commit()
    while True:  # stale at most TTL after the change committed, never longer
        asked = time.monotonic()  # a request asked in time may answer late on a busy machine
        body = client.get(url).json()
        if body["skus"][0]["price_fen"] == sku.price_fen + 500:
            break
        assert asked - changed_at <= TTL + 0.05, "a stale price outlived the bound"
        time.sleep(0.02)
    assert body["skus"][0]["stock"] == 7 and body["total_stock"] == 7

    assert product.id in [i["id"] for i in client.get("/api/v1/products?limit=100").json()["items"]]
    delisted_at = time.monotonic()
    with unit_of_work(other_process) as s:
        catalog.delist(s, owner_principal(s, shop_id), product.id)
        s.commit()
    while True:
        asked = time.monotonic()
        if client.get(url).status_code != 200:
            break
        assert asked - delisted_at <= TTL + 0.05, "a delisted product outlived the bound"
        time.sleep(0.02)
    time.sleep(TTL)
    assert product.id not in [i["id"] for i in client.get("/api/v1/products?limit=100").json()["items"]]


def test_the_html_page_shows_a_change_in_another_process_within_the_bound(
    client: TestClient, session: Session, other_process: Database
) -> None:
    """The product page is built from the detail's cached document and per-shop parts; it is held
    to the same bound as the detail it shares them with."""
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, stock=50)
    sku = product.skus[0]
    assert client.get(f"/api/v1/products/{product.id}").status_code == 200  # the document is cached
    new_price = sku.price_fen + 700
    shown = f'"price_fen":{new_price}'  # the page's SKU data (tojson: compact)
    assert shown not in client.get(f"/p/{product.id}").text
    changed_at = time.monotonic()
    _price_in_other_process(other_process, shop_id, sku.id, new_price)
    while True:
        asked = time.monotonic()
        if shown in client.get(f"/p/{product.id}").text:
            break
        assert asked - changed_at <= TTL + 0.05, "a stale price outlived the bound on the page"
        time.sleep(0.02)
    with unit_of_work(other_process) as s:
        catalog.delist(s, owner_principal(s, shop_id), product.id)
        s.commit()
    delisted_at = time.monotonic()
    while True:
        asked = time.monotonic()
        if client.get(f"/p/{product.id}").status_code == 404:
            break
        assert asked - delisted_at <= TTL + 0.05, "a delisted product's page outlived the bound"
        time.sleep(0.02)


def test_misses_asked_at_once_each_get_their_own_answer(client: TestClient, session: Session) -> None:
    """Misses are built in batches on one connection: each request still gets its own product, and
    one that is not on the shelf fails alone."""
    shop_id, _, _ = make_open_shop(session)
    ids = make_listed_products(session, shop_id, 12)
    cache_for(client.app.state.db).clear()  # type: ignore[attr-defined]
    paths = [f"/api/v1/products/{i}" for i in ids] + ["/api/v1/products/999999999"]
    paths += [f"/p/{i}" for i in ids[:4]] + ["/api/v1/products?limit=5"]
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        answers = list(pool.map(client.get, paths))
    titles = {}
    for i, answer in zip(ids, answers, strict=False):
        assert answer.status_code == 200 and answer.json()["id"] == i
        titles[i] = answer.json()["title"]
    assert answers[len(ids)].status_code == 404
    assert all(a.status_code == 200 for a in answers[len(ids) + 1 :])
    for i, answer in zip(ids[:4], answers[len(ids) + 1 :], strict=False):
        assert titles[i] in answer.text


def test_a_stale_page_never_sells_at_its_stale_price(
    client: TestClient, session: Session, other_process: Database
) -> None:
    """Placement rereads the price under its lock: the price a stale page showed is refused."""
    sale = make_on_sale(session, price_fen=9900)
    buyer = make_buyer(session)
    shown = client.get(f"/api/v1/products/{sale.product_id}").json()["skus"][0]["price_fen"]
    assert shown == sale.price_fen  # the checkout below asks for the price the page showed
    _price_in_other_process(other_process, sale.shop_id, sale.sku_id, 12900)
    with pytest.raises(AppError) as refused:
        orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
    assert refused.value.code == "PRICE_CHANGED"
    session.rollback()

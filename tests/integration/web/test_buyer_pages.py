from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from tests.factories.catalog import make_listed_product, make_product
from tests.factories.shops import category_named, make_open_shop


def _leaf(session: Session, name: str) -> int:
    return category_named(session, name)


def _indexed(db: Database) -> None:
    """Listings reach search and the feed through the outbox (the embedded worker is off in tests)."""
    OutboxWorker(db).run_until_idle()


def test_home_shows_listed_products_with_prices_and_hides_drafts(
    client: TestClient, session: Session, app: FastAPI, db: Database
) -> None:
    shop_id, _, _ = make_open_shop(session, name="阿丽女装工厂店")
    make_listed_product(
        session,
        shop_id,
        storage=app.state.storage,
        title="法式碎花连衣裙",
        price_fen=5990,
        original_price_fen=9900,
        category_id=_leaf(session, "连衣裙"),
    )
    make_product(session, shop_id, title="还没审核的草稿")
    _indexed(db)
    page = client.get("/").text
    assert "法式碎花连衣裙" in page and "阿丽女装工厂店" in page
    assert "¥59.90" in page and '<s class="orig">¥99.00</s>' in page
    assert "还没审核的草稿" not in page
    assert "服饰内衣" in page  # category navigation
    assert re.search(r'<img src="/api/v1/products/\d+/images/\d+/thumb"', page)


def test_category_search_sort_and_paging(client: TestClient, session: Session, db: Database) -> None:
    shop_id, _, _ = make_open_shop(session)
    dress = _leaf(session, "连衣裙")
    apple = _leaf(session, "苹果")
    for i in range(21):
        make_listed_product(session, shop_id, title=f"连衣裙{i:02d}号", price_fen=1000 + i, category_id=dress)
    make_listed_product(session, shop_id, title="阿克苏冰糖心苹果", price_fen=3990, category_id=apple)
    _indexed(db)
    top = categories.top_level_of(session, dress)
    r = client.get(f"/c/{top}")
    assert r.status_code == 200 and "共 21 件" in r.text and "苹果" not in r.text.split("共 21 件")[1]
    assert "page=2" in r.text
    assert "连衣裙00号" in client.get(f"/c/{top}?sort=price_asc").text
    assert "连衣裙00号" not in client.get(f"/c/{top}?sort=price_desc").text
    r = client.get("/search?q=冰糖心")
    assert "阿克苏冰糖心苹果" in r.text and "共 1 件" in r.text
    assert "没有找到" in client.get("/search?q=不存在的东西").text
    assert client.get("/c/999999").status_code == 404


def test_product_page_shows_skus_size_chart_and_buy_button(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session, name="型男衣社")
    product = make_listed_product(
        session,
        shop_id,
        title="纯棉牛津纺衬衫",
        colours=["白色", "蓝色"],
        sizes=["M", "L"],
        price_fen=12900,
        category_id=_leaf(session, "衬衫"),
        purchase_limit=2,
        size_chart={"columns": ["尺码", "胸围"], "rows": [["M", "96"], ["L", "100"]]},
    )
    r = client.get(f"/p/{product.id}")
    assert r.status_code == 200
    page = r.text
    assert "纯棉牛津纺衬衫" in page and "型男衣社" in page and f'href="/shop/{shop_id}"' in page
    assert "每人限购 2 件" in page and "尺码表" in page and "胸围" in page
    assert 'data-value="蓝色"' in page and 'data-value="L"' in page
    skus = json.loads(
        re.search(r'<script type="application/json" id="sku-data">(.*?)</script>', page, re.S)[1]
    )
    assert sorted((s["attrs"]["颜色"], s["attrs"]["尺码"], s["price_fen"]) for s in skus) == [
        ("白色", "L", 13000),
        ("白色", "M", 12900),
        ("蓝色", "L", 13200),
        ("蓝色", "M", 13100),
    ]
    assert "立即购买" in page and f"/login?next=%2Fp%2F{product.id}" in page  # anonymous: log in first


def test_unlisted_products_and_unopened_shops_are_not_found(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    draft = make_product(session, shop_id, title="草稿")
    r = client.get(f"/p/{draft.id}")
    assert r.status_code == 404 and "PRODUCT_NOT_FOUND" in r.text
    assert client.get("/p/not-a-number").status_code == 422


def test_shop_page_lists_its_products(client: TestClient, session: Session, db: Database) -> None:
    shop_id, _, _ = make_open_shop(session, name="东北山货源头店")
    other_id, _, _ = make_open_shop(session, name="别家店")
    make_listed_product(session, shop_id, title="长白山黑木耳")
    make_listed_product(session, other_id, title="别家的货")
    _indexed(db)
    page = client.get(f"/shop/{shop_id}").text
    assert "东北山货源头店" in page and "长白山黑木耳" in page and "别家的货" not in page
    assert "在售 1 件" in page

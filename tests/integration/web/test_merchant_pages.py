from __future__ import annotations

import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.pagination import PageParams
from laotie.shops import service as shops
from tests.factories import make_user
from tests.factories.catalog import make_product, owner_principal
from tests.factories.shops import (
    apply_for_shop,
    category_named,
    licence_number,
    make_open_shop,
    make_reviewer,
)
from tests.factories.web import sign_in


def _category(session: Session, name: str) -> str:
    """A category id for a form. The read ends at once: on SQLite an open transaction in the test
    would hold the write lock the app needs."""
    category_id = category_named(session, name)
    session.rollback()
    return str(category_id)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (230, 80, 20)).save(out, "PNG")
    return out.getvalue()


def test_zero_deposit_application_through_the_console(client: TestClient, session: Session) -> None:
    user_id, headers = make_user(session)
    sign_in(client, headers)
    page = client.get("/merchant").text
    assert "0元开店" in page and "提交开店申请" in page
    form = {
        "name": "东北山货源头店",
        "main_category_id": _category(session, "地方特产"),
        "entity_type": "individual_business",
        "legal_name": "王大山",
        "licence_number": licence_number(4242),
        "contact_phone": "13900001111",
        "description": "长白山木耳",
    }
    r = client.post("/merchant/apply", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "待审核" in page and "东北山货源头店" in page
    assert "还需上传" in page and "食品经营许可证" in page  # the category requires a food licence
    [mine] = shops.shops_of(session, user_id)
    assert mine.status.value == "applying" and mine.legal_name == "王大山"
    session.rollback()  # end the read so SQLite's write lock is free for the next request
    r = client.post(
        f"/merchant/shops/{mine.id}/documents",
        data={"kind": "food_license"},
        files={"file": ("许可证.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "类目要求的资质已齐全" in client.get("/merchant").text


def test_application_errors_are_explained_and_nothing_is_written(
    client: TestClient, session: Session
) -> None:
    user_id, headers = make_user(session)
    sign_in(client, headers)
    form = {
        "name": "坏执照小店",
        "main_category_id": _category(session, "女装"),
        "entity_type": "company",
        "legal_name": "某某公司",
        "licence_number": "91110000MA00000000",
        "contact_phone": "13900001111",
    }
    r = client.post("/merchant/apply", data=form)
    assert r.status_code >= 400
    assert "统一社会信用代码" in r.text or "营业执照" in r.text
    assert 'value="坏执照小店"' in r.text  # the form keeps what was typed
    r = client.post("/merchant/apply", data={**form, "name": "x"})
    assert r.status_code == 422 and "店铺名称" in r.text
    assert shops.shops_of(session, user_id) == []


def test_rejected_application_shows_the_reason(client: TestClient, session: Session) -> None:
    shop_id, _, headers = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    shops.reject(session, shop_id, reviewer, "营业执照照片模糊")
    session.commit()
    sign_in(client, headers)
    page = client.get("/merchant").text
    assert "已驳回" in page and "营业执照照片模糊" in page and "重新提交审核" in page


def test_merchant_creates_a_product_with_skus_priced_in_yuan(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    shop_id, _, headers = make_open_shop(session)
    sign_in(client, headers)
    assert "发布商品" in client.get("/merchant").text
    assert "连衣裙" in client.get(f"/merchant/shops/{shop_id}/products/new").text
    form = {
        "title": "法式碎花连衣裙",
        "category_id": _category(session, "连衣裙"),
        "description": "雪纺面料",
        "attr_name_0": "颜色",
        "attr_values_0": "红色，黑色",
        "attr_name_1": "尺码",
        "attr_values_1": "M L",
        "price": "59.90",
        "original_price": "¥99",
        "stock": "20",
        "purchase_limit": "3",
        "sku_attrs_0": '{"颜色":"黑色","尺码":"L"}',
        "sku_price_0": "0.10",
        "sku_original_0": "",
        "sku_stock_0": "5",
        "size_chart": "尺码,胸围\nM,88\nL,92",
        "action": "submit",
    }
    files = [("images", ("a.png", _png(), "image/png")), ("images", ("b.png", _png(), "image/png"))]
    r = client.post(f"/merchant/shops/{shop_id}/products", data=form, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    owner = owner_principal(session, shop_id)
    [product] = catalog.list_shop_products(session, owner, shop_id, PageParams()).items
    assert product.status.value == "in_review" and product.purchase_limit == 3
    prices = {
        (s.attrs["颜色"], s.attrs["尺码"]): (s.price_fen, s.original_price_fen, s.stock) for s in product.skus
    }
    assert prices == {
        ("红色", "M"): (5990, 9900, 20),
        ("红色", "L"): (5990, 9900, 20),
        ("黑色", "M"): (5990, 9900, 20),
        ("黑色", "L"): (10, 9900, 5),
    }
    assert len(product.images) == 2 and product.size_chart == {
        "columns": ["尺码", "胸围"],
        "rows": [["M", "88"], ["L", "92"]],
    }
    page = client.get(r.headers["location"]).text
    assert "审核中" in page and "¥0.10" in page and "商品已提交审核" in page


def test_bad_prices_are_refused_with_chinese_messages(client: TestClient, session: Session) -> None:
    shop_id, _, headers = make_open_shop(session)
    sign_in(client, headers)
    base = {"title": "木耳", "category_id": _category(session, "东北木耳"), "stock": "1"}
    for price, expected in [
        ("59.999", "最多两位小数"),
        ("-1", "最多两位小数"),
        ("1e3", "最多两位小数"),
        ("", "还没有价格"),
    ]:
        r = client.post(f"/merchant/shops/{shop_id}/products", data={**base, "price": price})
        assert r.status_code == 422 and expected in r.text, price
        assert 'value="木耳"' in r.text
    r = client.post(
        f"/merchant/shops/{shop_id}/products", data={**base, "price": "9.9", "original_price": "5"}
    )
    assert r.status_code == 422
    owner = owner_principal(session, shop_id)
    assert catalog.list_shop_products(session, owner, shop_id, PageParams()).total == 0


def test_product_actions_and_other_merchants_are_kept_out(client: TestClient, session: Session) -> None:
    shop_id, _, headers = make_open_shop(session)
    _, _, other_headers = make_open_shop(session)
    product = make_product(session, shop_id, title="自家商品")
    sign_in(client, other_headers)
    r = client.get(f"/merchant/shops/{shop_id}/products/{product.id}")
    assert r.status_code == 403 and "你不是该店铺的成员" in r.text
    assert client.post(f"/merchant/shops/{shop_id}/products/{product.id}/submit").status_code == 403
    sign_in(client, headers)
    r = client.post(f"/merchant/shops/{shop_id}/products/{product.id}/submit", follow_redirects=False)
    assert r.status_code == 303
    assert (
        catalog.get_product(session, owner_principal(session, shop_id), product.id).status.value
        == "in_review"
    )
    session.rollback()
    r = client.post(
        f"/merchant/shops/{shop_id}/products/{product.id}/images",
        files={"images": ("x.png", b"not an image", "image/png")},
    )
    assert r.status_code == 422 and "自家商品" in r.text

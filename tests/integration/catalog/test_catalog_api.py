"""The catalog over HTTP: one test per feature, through the real app."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog.models import Image, PriceChange, Product
from laotie.core.auth import Role
from tests.factories import make_user
from tests.factories.catalog import image_bytes, leaf_category_id, make_listed_product, make_product
from tests.factories.shops import make_open_shop


def _body(session: Session, **overrides: Any) -> dict[str, Any]:
    category_id = leaf_category_id(session)
    session.rollback()  # on SQLite an open test transaction would hold the write lock against the API
    body: dict[str, Any] = {
        "category_id": category_id,
        "title": "秋冬加厚卫衣",
        "description": "纯棉，不起球",
        "purchase_limit": 5,
        "attributes": [{"name": "颜色", "values": ["黑", "灰"]}, {"name": "尺码", "values": ["M", "L"]}],
        "skus": [
            {
                "attrs": {"颜色": c, "尺码": s},
                "price_fen": 8900 + i * 100,
                "original_price_fen": 12900,
                "stock": 20,
            }
            for i, (c, s) in enumerate([("黑", "M"), ("黑", "L"), ("灰", "M"), ("灰", "L")])
        ],
        "size_chart": {"columns": ["尺码", "胸围"], "rows": [["M", "110"], ["L", "116"]]},
    }
    body.update(overrides)
    return body


def _count(session: Session, model: type) -> int:
    session.rollback()  # see what the API committed
    count = session.scalar(select(func.count()).select_from(model)) or 0
    session.rollback()
    return count


def test_a_merchant_lists_a_product_and_buyers_find_it(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session, name="卫衣工厂店")
    _, staff = make_user(session, Role.GOVERNANCE)

    created = client.post(f"/api/v1/shops/{shop_id}/products", json=_body(session), headers=owner)
    assert created.status_code == 201, created.text
    product = created.json()
    assert (product["status"], product["min_price_fen"], len(product["skus"])) == ("draft", 8900, 4)
    pid = product["id"]
    assert client.get(f"/api/v1/products/{pid}").status_code == 404

    assert (
        client.post(f"/api/v1/shops/{shop_id}/products/{pid}/submit", headers=owner).json()["status"]
        == "in_review"
    )
    queue = client.get("/api/v1/governance/products/review-queue", headers=staff).json()
    assert [p["id"] for p in queue["items"]] == [pid]
    approved = client.post(f"/api/v1/governance/products/{pid}/approve", json={"reason": "ok"}, headers=staff)
    assert approved.json()["status"] == "listed"

    shelf = client.get("/api/v1/products", params={"q": "卫衣", "sort": "price_asc"}).json()
    assert shelf["total"] == 1
    assert shelf["items"][0] | {"cover_url": None} == {
        "id": pid,
        "title": "秋冬加厚卫衣",
        "shop_id": shop_id,
        "shop_name": "卫衣工厂店",
        "min_price_fen": 8900,
        "original_price_fen": 12900,
        "cover_url": None,
        "sales_count": 0,
    }
    detail = client.get(f"/api/v1/products/{pid}").json()
    assert detail["category_path"][-1] and detail["purchase_limit"] == 5 and len(detail["skus"]) == 4
    assert detail["size_chart"]["rows"] == [["M", "110"], ["L", "116"]]

    # A content edit takes it off the shelf until reviewed again; delist and relist work too.
    patched = client.patch(
        f"/api/v1/shops/{shop_id}/products/{pid}", json={"title": "加绒卫衣"}, headers=owner
    )
    assert patched.json()["status"] == "in_review"
    assert client.get("/api/v1/products").json()["total"] == 0
    client.post(f"/api/v1/governance/products/{pid}/approve", headers=staff)
    assert (
        client.post(f"/api/v1/shops/{shop_id}/products/{pid}/delist", headers=owner).json()["status"]
        == "delisted"
    )
    assert (
        client.post(f"/api/v1/shops/{shop_id}/products/{pid}/relist", headers=owner).json()["status"]
        == "listed"
    )
    kinds = [
        e["kind"] for e in client.get(f"/api/v1/shops/{shop_id}/products/{pid}/events", headers=owner).json()
    ]
    assert kinds == [
        "created",
        "submitted",
        "approved",
        "edited",
        "resubmitted",
        "approved",
        "delisted",
        "relisted",
    ]


def test_image_upload_and_thumbnail(client: TestClient, app: FastAPI, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    product = make_product(session, shop_id)
    url = f"/api/v1/shops/{shop_id}/products/{product.id}/images"

    uploaded = client.post(
        url, files={"file": ("cover.jpg", image_bytes(1000, 800, "JPEG"), "image/jpeg")}, headers=owner
    )
    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    assert (image["width"], image["height"], image["position"]) == (1000, 800, 0)

    assert client.get(image["thumb_url"]).status_code == 404  # not listed yet: private
    thumb = client.get(image["thumb_url"], headers=owner)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert PILImage.open(BytesIO(thumb.content)).size == (400, 320)
    assert thumb.headers["cache-control"].startswith("private")

    refused = client.post(
        url, files={"file": ("evil.png", b"<script>alert(1)</script>", "image/png")}, headers=owner
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "INVALID_IMAGE")
    app.state.settings.max_upload_bytes = 2_000
    too_big = client.post(
        url, files={"file": ("big.jpg", image_bytes(600, 600, "JPEG"), "image/jpeg")}, headers=owner
    )
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "FILE_TOO_LARGE")
    assert _count(session, Image) == 1

    _, staff = make_user(session, Role.GOVERNANCE)
    client.post(f"/api/v1/shops/{shop_id}/products/{product.id}/submit", headers=owner)
    client.post(f"/api/v1/governance/products/{product.id}/approve", headers=staff)
    public = client.get(image["url"])
    assert public.status_code == 200 and PILImage.open(BytesIO(public.content)).size == (1000, 800)
    assert public.headers["cache-control"].startswith("public")
    assert client.get("/api/v1/products").json()["items"][0]["cover_url"] == image["thumb_url"]


def test_merchants_cannot_touch_other_shops_products(client: TestClient, session: Session) -> None:
    shop_a, _, owner_a = make_open_shop(session)
    shop_b, _, owner_b = make_open_shop(session)
    product = make_listed_product(session, shop_a)
    sku_id = product.skus[0].id
    _, buyer = make_user(session, Role.BUYER)

    for headers in (owner_b, buyer):
        for method, path, body in (
            ("GET", f"/api/v1/shops/{shop_a}/products/{product.id}", None),
            ("PATCH", f"/api/v1/shops/{shop_a}/products/{product.id}", {"title": "偷改"}),
            ("GET", f"/api/v1/shops/{shop_a}/products", None),
            ("POST", f"/api/v1/shops/{shop_a}/products/{product.id}/delist", None),
            ("PUT", f"/api/v1/shops/{shop_a}/skus/{sku_id}/price", {"price_fen": 1}),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert (response.status_code, response.json()["error"]["code"]) == (403, "NOT_SHOP_MEMBER"), path
    # Through its own shop's path, B finds no such product or SKU.
    response = client.get(f"/api/v1/shops/{shop_b}/products/{product.id}", headers=owner_b)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "PRODUCT_NOT_FOUND")
    response = client.put(f"/api/v1/shops/{shop_b}/skus/{sku_id}/stock", json={"stock": 0}, headers=owner_b)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "SKU_NOT_FOUND")
    assert client.get(f"/api/v1/shops/{shop_a}/products/{product.id}").status_code == 401
    assert (
        client.get(f"/api/v1/shops/{shop_a}/products/{product.id}", headers=owner_a).json()["title"]
        == product.title
    )
    assert client.get(f"/api/v1/products/{product.id}").json()["min_price_fen"] == product.min_price_fen


def test_bad_input_is_refused_with_stable_codes_and_nothing_written(
    client: TestClient, session: Session
) -> None:
    shop_id, _, owner = make_open_shop(session)
    url = f"/api/v1/shops/{shop_id}/products"
    one_sku = {"attributes": [], "skus": [{"attrs": {}, "price_fen": 100, "stock": 1}]}
    cases = [
        (
            _body(session, **one_sku | {"skus": [{"attrs": {}, "price_fen": 0, "stock": 1}]}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            _body(session, **one_sku | {"skus": [{"attrs": {}, "price_fen": -100, "stock": 1}]}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            _body(session, **one_sku | {"skus": [{"attrs": {}, "price_fen": 100, "stock": -1}]}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            _body(session, **one_sku | {"skus": [{"attrs": {}, "price_fen": 100.5, "stock": 1}]}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            _body(
                session,
                **one_sku
                | {"skus": [{"attrs": {}, "price_fen": 500, "original_price_fen": 400, "stock": 1}]},
            ),
            422,
            "ORIGINAL_PRICE_TOO_LOW",
        ),
        (_body(session, skus=[_body(session)["skus"][0]] * 2), 422, "DUPLICATE_SKU"),
        (
            _body(session, skus=[{"attrs": {"颜色": "红", "尺码": "M"}, "price_fen": 1, "stock": 1}]),
            422,
            "SKU_ATTRS_MISMATCH",
        ),
        (_body(session, category_id=999_999), 404, "CATEGORY_NOT_FOUND"),
        (_body(session, category_id=1), 422, "CATEGORY_NOT_LEAF"),
        (_body(session, title=""), 422, "VALIDATION_ERROR"),
        (_body(session, title="长" * 61), 422, "VALIDATION_ERROR"),
    ]
    for body, status, code in cases:
        response = client.post(url, json=body, headers=owner)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert (_count(session, Product), _count(session, PriceChange)) == (0, 0)


def test_price_stock_and_price_history(client: TestClient, session: Session) -> None:
    shop_id, owner_id, owner = make_open_shop(session)
    product = make_listed_product(session, shop_id, price_fen=5000)
    sku_id = product.skus[0].id
    base = f"/api/v1/shops/{shop_id}/skus/{sku_id}"

    repriced = client.put(
        f"{base}/price", json={"price_fen": 4500, "original_price_fen": 6000, "reason": "限时"}, headers=owner
    )
    assert repriced.json() | {"id": 0} == {
        "id": 0,
        "attrs": {},
        "price_fen": 4500,
        "original_price_fen": 6000,
        "stock": product.skus[0].stock,
        "sku_code": None,
        "active": True,
    }
    assert client.put(f"{base}/price", json={"price_fen": 0}, headers=owner).status_code == 422
    assert client.put(f"{base}/stock", json={"stock": 7}, headers=owner).json()["stock"] == 7
    assert client.put(f"{base}/stock", json={"stock": -7}, headers=owner).status_code == 422
    history = client.get(f"{base}/price-history", headers=owner).json()
    assert [(h["old_price_fen"], h["new_price_fen"], h["changed_by"]) for h in history] == [
        (None, 5000, owner_id),
        (5000, 4500, owner_id),
    ]
    assert client.get(f"/api/v1/products/{product.id}").json()["min_price_fen"] == 4500


def test_the_governance_desk_is_for_staff(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    listed = make_listed_product(session, shop_id)
    _, staff = make_user(session, Role.GOVERNANCE)
    for headers in ({}, owner):
        response = client.get("/api/v1/governance/products/review-queue", headers=headers)
        assert response.status_code in (401, 403)
        assert client.post(
            f"/api/v1/governance/products/{listed.id}/ban", json={"reason": "x"}, headers=headers
        ).status_code in (401, 403)
    assert (
        client.post(f"/api/v1/governance/products/{listed.id}/ban", json={}, headers=staff).json()["error"][
            "code"
        ]
        == "REASON_REQUIRED"
    )
    banned = client.post(
        f"/api/v1/governance/products/{listed.id}/ban", json={"reason": "假冒品牌"}, headers=staff
    )
    assert (banned.json()["status"], banned.json()["review_reason"]) == ("banned", "假冒品牌")
    assert client.get(f"/api/v1/products/{listed.id}").status_code == 404
    assert client.get(f"/api/v1/governance/products/{listed.id}", headers=staff).json()["status"] == "banned"
    trail = client.get(f"/api/v1/governance/products/{listed.id}/events", headers=staff).json()
    assert (trail[-1]["kind"], trail[-1]["reason"]) == ("banned", "假冒品牌")
    again = client.post(f"/api/v1/shops/{shop_id}/products/{listed.id}/relist", headers=owner)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "INVALID_PRODUCT_TRANSITION")


def test_shelf_paging_and_query_checks(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    ids = [make_listed_product(session, shop_id, price_fen=100 * (i + 1)).id for i in range(3)]
    page = client.get(
        "/api/v1/products", params={"limit": 2, "offset": 1, "sort": "price_desc", "shop_id": shop_id}
    )
    assert page.json()["total"] == 3 and [c["id"] for c in page.json()["items"]] == [ids[1], ids[0]]
    for params in ({"limit": 101}, {"offset": -1}, {"sort": "random"}, {"q": "x" * 51}, {"category_id": 0}):
        response = client.get("/api/v1/products", params=params)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_ERROR"), params


def test_every_catalog_route_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/products/{product_id}/images/{image_id}/thumb",
        "/api/v1/shops/{shop_id}/products/{product_id}/images",
        "/api/v1/shops/{shop_id}/skus/{sku_id}/price-history",
        "/api/v1/governance/products/review-queue",
        "/api/v1/governance/products/{product_id}/ban",
    ):
        assert path in paths, path


def test_out_of_range_ids_and_nul_text_are_bad_input_not_errors(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    huge = 2**70
    for path in (f"/api/v1/products/{huge}", f"/api/v1/products/{huge}/images/1/thumb"):
        assert client.get(path).status_code == 422
    assert client.get("/api/v1/products", params={"category_id": huge}).status_code == 422
    assert client.get("/api/v1/products", params={"q": "a\x00b"}).status_code == 422
    for body in (
        _body(session, title="木耳\x00"),
        _body(session, description="\x00"),
        _body(session, category_id=huge),
    ):
        response = client.post(f"/api/v1/shops/{shop_id}/products", json=body, headers=owner)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert _count(session, Product) == 0

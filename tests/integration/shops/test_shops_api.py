"""One HTTP test per merchant-facing feature, including who may not see what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.app import create_app
from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.settings import Settings
from tests.factories import make_user
from tests.factories.shops import (
    apply_for_shop,
    image_bytes,
    licence_number,
    make_open_shop,
    make_reviewer,
    pdf_bytes,
    row_counts,
)

PRIVATE_FIELDS = {"owner_id", "legal_name", "licence_number", "contact_phone", "entity_type"}


def _counts(session: Session) -> dict[str, int]:
    # End the read at once: on SQLite an open transaction would hold the lock the request needs.
    counts = row_counts(session)
    session.rollback()
    return counts


def _application(session: Session, n: int, **overrides: Any) -> dict[str, Any]:
    category_id = categories.leaf_ids(session)[0]
    session.rollback()
    return {
        "name": f"接口小店{n}",
        "main_category_id": category_id,
        "entity_type": "individual_business",
        "legal_name": f"接口个体户{n}",
        "licence_number": licence_number(900 + n),
        "contact_phone": "13900000000",
        **overrides,
    }


def test_apply_then_see_it_in_mine_and_privately(client: TestClient, session: Session) -> None:
    _, headers = make_user(session)
    r = client.post("/api/v1/shops/apply", json=_application(session, 1), headers=headers)
    assert r.status_code == 201, r.text
    shop = r.json()
    assert (shop["status"], shop["review_state"]) == ("applying", "pending")
    assert [s["id"] for s in client.get("/api/v1/shops/mine", headers=headers).json()] == [shop["id"]]
    assert client.get(f"/api/v1/shops/{shop['id']}", headers=headers).json()[
        "licence_number"
    ] == licence_number(901)
    # Not open yet: nobody else can see it.
    assert client.get(f"/api/v1/shops/{shop['id']}").status_code == 404
    _, stranger = make_user(session)
    r = client.get(f"/api/v1/shops/{shop['id']}", headers=stranger)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "SHOP_NOT_FOUND")


def test_bad_application_over_http_is_a_stable_4xx_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    _, headers = make_user(session)
    before = _counts(session)
    cases = [
        ({"licence_number": "92110000MA00009019"}, 422, "INVALID_LICENCE"),
        ({"entity_type": "trust"}, 422, "VALIDATION_ERROR"),
        ({"main_category_id": 999_999}, 404, "CATEGORY_NOT_FOUND"),
        ({"contact_phone": "110"}, 422, "INVALID_PHONE"),
        # PostgreSQL cannot store NUL, and ids past BIGINT overflow: both must stop at validation.
        ({"name": "坏\x00名字"}, 422, "VALIDATION_ERROR"),
        ({"description": "\x00"}, 422, "VALIDATION_ERROR"),
        ({"main_category_id": 2**64}, 422, "VALIDATION_ERROR"),
    ]
    for overrides, status, code in cases:
        r = client.post("/api/v1/shops/apply", json=_application(session, 2, **overrides), headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    r = client.post(
        "/api/v1/shops/apply",
        json=_application(session, 2, licence_number="92110000MA00009019"),
        headers={**headers, "Accept-Language": "en"},
    )
    assert "check character" in r.json()["error"]["message"]
    assert client.post("/api/v1/shops/apply", json=_application(session, 2)).status_code == 401
    assert client.get(f"/api/v1/shops/{2**64}", headers=headers).status_code == 422
    assert _counts(session) == before


def test_public_view_of_an_open_shop_hides_private_details(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    _, _, other_merchant = make_open_shop(session)
    _, staff = make_reviewer(session)
    for headers in ({}, other_merchant):
        body = client.get(f"/api/v1/shops/{shop_id}", headers=headers).json()
        assert body["status"] == "open"
        assert PRIVATE_FIELDS.isdisjoint(body), body
    for headers in (owner, staff):
        assert set(client.get(f"/api/v1/shops/{shop_id}", headers=headers).json()) >= PRIVATE_FIELDS


def test_resubmit_after_rejection(client: TestClient, session: Session) -> None:
    shop_id, _, owner = apply_for_shop(session)
    _, staff = make_reviewer(session)
    client.post(f"/api/v1/governance/shops/{shop_id}/reject", json={"reason": "名称不规范"}, headers=staff)
    mine = client.get("/api/v1/shops/mine", headers=owner).json()[0]
    assert (mine["review_state"], mine["review_reason"]) == ("rejected", "名称不规范")
    body = {
        k: mine[k]
        for k in ("main_category_id", "entity_type", "legal_name", "licence_number", "contact_phone")
    }
    r = client.put(f"/api/v1/shops/{shop_id}/application", json={**body, "name": "规范的名字"}, headers=owner)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["review_state"]) == ("规范的名字", "pending")
    r = client.put(f"/api/v1/shops/{shop_id}/application", json={**body, "name": "再改一次"}, headers=owner)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "APPLICATION_NOT_EDITABLE")


def test_documents_upload_list_download_and_who_may_see_them(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    _, _, other_merchant = make_open_shop(session)
    _, staff = make_reviewer(session)
    r = client.post(
        f"/api/v1/shops/{shop_id}/documents",
        data={"kind": "brand_authorization", "brand": "老铁牌", "expires_on": "2099-12-31"},
        files={"file": ("授权书.png", image_bytes("PNG"), "application/octet-stream")},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["content_type"], doc["brand"], doc["expires_on"]) == ("image/png", "老铁牌", "2099-12-31")
    r = client.post(
        f"/api/v1/shops/{shop_id}/documents",
        data={"kind": "business_license"},
        files={"file": ("licence.pdf", pdf_bytes(), "application/pdf")},
        headers=owner,
    )
    assert r.status_code == 201
    listing = client.get(f"/api/v1/shops/{shop_id}/documents", headers=owner).json()
    assert [d["kind"] for d in listing] == ["brand_authorization", "business_license"]

    for headers in (owner, staff):
        r = client.get(doc["url"], headers=headers)
        assert r.status_code == 200
        assert r.content == image_bytes("PNG")
        assert r.headers["content-type"] == "image/png"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "no-store" in r.headers["cache-control"]
    pdf = client.get(listing[1]["url"], headers=owner)
    assert pdf.headers["content-disposition"].startswith("attachment")

    for url in (f"/api/v1/shops/{shop_id}/documents", doc["url"]):
        r = client.get(url, headers=other_merchant)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "NOT_SHOP_MEMBER")
        assert client.get(url).status_code == 401
    r = client.post(
        f"/api/v1/shops/{shop_id}/documents",
        data={"kind": "business_license"},
        files={"file": ("x.pdf", pdf_bytes(), "application/pdf")},
        headers=other_merchant,
    )
    assert r.status_code == 403


@pytest.fixture
def small_upload_client(db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"max_upload_bytes": 1000}), db=db)) as c:
        yield c


def test_uploads_are_checked_by_size_and_content(small_upload_client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    before = _counts(session)
    cases = [
        ({"kind": "business_license"}, ("big.pdf", pdf_bytes() + b"0" * 1000), 413, "FILE_TOO_LARGE"),
        (
            {"kind": "business_license"},
            ("fake.png", b"<?php echo 1; ?>", "image/png"),
            415,
            "UNSUPPORTED_FILE_TYPE",
        ),
        ({"kind": "passport"}, ("a.pdf", pdf_bytes()), 422, "UNKNOWN_DOCUMENT_KIND"),
        (
            {"kind": "business_license", "expires_on": "31/12/2099"},
            ("a.pdf", pdf_bytes()),
            422,
            "VALIDATION_ERROR",
        ),
    ]
    for data, file, status, code in cases:
        r = small_upload_client.post(
            f"/api/v1/shops/{shop_id}/documents", data=data, files={"file": file}, headers=owner
        )
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    r = small_upload_client.post(
        f"/api/v1/shops/{shop_id}/documents", data={"kind": "business_license"}, headers=owner
    )
    assert r.status_code == 422
    assert _counts(session) == before


def test_event_trail_for_members_only(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    _, _, other_merchant = make_open_shop(session)
    r = client.get(f"/api/v1/shops/{shop_id}/events", headers=owner)
    assert [e["kind"] for e in r.json()] == ["applied", "approved"]
    assert client.get(f"/api/v1/shops/{shop_id}/events", headers=other_merchant).status_code == 403


def test_members_over_http(client: TestClient, session: Session) -> None:
    shop_id, owner_id, owner = make_open_shop(session)
    staff_id, staff = make_user(session)
    phone = accounts.get_user_out(session, staff_id).phone
    r = client.post(f"/api/v1/shops/{shop_id}/members", json={"phone": phone}, headers=owner)
    assert r.status_code == 201, r.text
    assert r.json()["phone"] != phone and r.json()["phone"].endswith(str(phone)[-4:])
    assert "merchant_staff" in client.get("/api/v1/accounts/me", headers=staff).json()["roles"]
    members = client.get(f"/api/v1/shops/{shop_id}/members", headers=staff).json()
    assert [m["user_id"] for m in members] == [owner_id, staff_id]
    r = client.post(f"/api/v1/shops/{shop_id}/members", json={"phone": phone}, headers=staff)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "NOT_SHOP_OWNER")
    assert client.delete(f"/api/v1/shops/{shop_id}/members/{staff_id}", headers=owner).status_code == 204
    assert client.get(f"/api/v1/shops/{shop_id}/members", headers=staff).status_code == 403
    assert "merchant_staff" not in client.get("/api/v1/accounts/me", headers=staff).json()["roles"]


def test_owner_closes_own_shop_over_http(client: TestClient, session: Session) -> None:
    shop_id, _, owner = make_open_shop(session)
    _, _, other_merchant = make_open_shop(session)
    assert client.post(f"/api/v1/shops/{shop_id}/close", json={}, headers=other_merchant).status_code == 403
    r = client.post(f"/api/v1/shops/{shop_id}/close", json={"reason": "转行了"}, headers=owner)
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    # A closed shop is no longer public.
    assert client.get(f"/api/v1/shops/{shop_id}").status_code == 404
    assert client.get(f"/api/v1/shops/{shop_id}", headers=owner).json()["status"] == "closed"

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.models import Address
from laotie.core.auth import Role
from tests.factories import make_user
from tests.factories.addresses import BEIJING_CHAOYANG, address_body, make_address


def test_regions_are_public_and_cacheable(client: TestClient) -> None:
    r = client.get("/api/v1/regions")
    assert r.status_code == 200
    provinces = {p["code"]: p for p in r.json()}
    assert len(provinces) == 34
    assert provinces["650000"]["remote"] is True and provinces["330000"]["remote"] is False
    assert "max-age" in r.headers["cache-control"] and "public" in r.headers["cache-control"]
    again = client.get("/api/v1/regions", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304

    cities = client.get("/api/v1/regions/110000/children").json()
    assert [(c["code"], c["name"], c["level"]) for c in cities] == [("110100", "北京市", "city")]
    districts = {d["code"]: d["name"] for d in client.get("/api/v1/regions/110100/children").json()}
    assert districts["110105"] == "朝阳区"
    missing = client.get("/api/v1/regions/123456/children")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "REGION_NOT_FOUND"


def test_address_book_over_http(client: TestClient, session: Session) -> None:
    _, headers = make_user(session)
    _, other_headers = make_user(session)
    assert client.get("/api/v1/addresses").status_code == 401

    r = client.post("/api/v1/addresses", json=address_body(**BEIJING_CHAOYANG), headers=headers)
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["province_name"], first["district_name"], first["is_default"]) == ("北京市", "朝阳区", True)
    second = client.post("/api/v1/addresses", json=address_body(recipient="李四"), headers=headers).json()
    assert second["is_default"] is False

    r = client.put(
        f"/api/v1/addresses/{second['id']}", json=address_body(detail="西溪路1号"), headers=headers
    )
    assert r.json()["detail"] == "西溪路1号"
    r = client.post(f"/api/v1/addresses/{second['id']}/default", headers=headers)
    assert r.json()["is_default"] is True
    listed = client.get("/api/v1/addresses", headers=headers).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [(second["id"], True), (first["id"], False)]

    for method in ("get", "put", "delete"):
        kwargs = {"json": address_body()} if method == "put" else {}
        r = getattr(client, method)(f"/api/v1/addresses/{first['id']}", headers=other_headers, **kwargs)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "ADDRESS_NOT_FOUND"

    assert client.delete(f"/api/v1/addresses/{second['id']}", headers=headers).status_code == 204
    listed = client.get("/api/v1/addresses", headers=headers).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [(first["id"], True)]


def test_bad_input_over_http_is_a_stable_code_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    user_id, headers = make_user(session)
    cases = [
        ({"phone": "12345"}, 422, "INVALID_PHONE"),
        ({"district_code": "110105"}, 422, "INVALID_REGION"),
        ({"recipient": "   "}, 422, "VALIDATION_ERROR"),
        ({"postal_code": "31001"}, 422, "VALIDATION_ERROR"),
    ]
    for overrides, status, code in cases:
        r = client.post("/api/v1/addresses", json=address_body(**overrides), headers=headers)
        assert r.status_code == status, (overrides, r.text)
        assert r.json()["error"]["code"] == code
    assert session.scalar(select(func.count()).select_from(Address)) == 0

    for i in range(addresses.MAX_ADDRESSES):
        make_address(session, user_id, detail=f"文三路{i}号")
    r = client.post("/api/v1/addresses", json=address_body(), headers=headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "ADDRESS_LIMIT"
    assert session.scalar(select(func.count()).select_from(Address)) == 20


def test_reveal_log_is_for_governance(client: TestClient, session: Session) -> None:
    buyer_id, buyer_headers = make_user(session)
    merchant_id, _ = make_user(session, Role.MERCHANT_OWNER)
    _, staff_headers = make_user(session, Role.GOVERNANCE)
    address = make_address(session, buyer_id)
    snap = addresses.snapshot(session, buyer_id, address.id)
    addresses.reveal_for_shipping(session, snap, actor_user_id=merchant_id, shop_id=5, order_ref="O-9")
    session.commit()

    assert client.get("/api/v1/admin/address-reveals?shop_id=5", headers=buyer_headers).status_code == 403
    r = client.get("/api/v1/admin/address-reveals?shop_id=5", headers=staff_headers)
    assert [(e["actor_user_id"], e["order_ref"], e["purpose"]) for e in r.json()] == [
        (merchant_id, "O-9", "shipping_label")
    ]
    r = client.get("/api/v1/admin/address-reveals", headers=staff_headers)
    assert r.status_code == 422

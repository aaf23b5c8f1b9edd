"""Issue 9 items 10 and 14: ids are bounded and checked, request integers are JSON integers only.

The audit walks every JSON request body of the app: an integer that is not strict (``true``, ``"1"``,
``1.0`` read as 1) or an id field without BIGINT's bounds fails it, naming the route and field, so a new
schema cannot slip back to a loose ``int``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.ids import MAX_ID
from laotie.promotions.models import BuyerCoupon, Coupon
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.promotions import shop_coupon


def _loose_ints(schema: dict[str, Any], path: str, defs: dict[str, Any], seen: set[str]) -> list[str]:
    """Fields of a pydantic core schema that take an integer without ``strict`` or with an id's
    bounds missing (fields named ``*_id``/``*_ids`` must stay within 1..MAX_ID)."""
    kind = schema.get("type")
    if kind == "int":
        found = [] if schema.get("strict") else [f"{path} (not strict)"]
        if path.rsplit(".", 1)[-1].endswith(("_id", "_ids")) and not (
            schema.get("ge", 0) >= 1 and schema.get("le", MAX_ID + 1) <= MAX_ID
        ):
            found.append(f"{path} (id without bounds)")
        return found
    if kind == "definitions":
        defs.update({d["ref"]: d for d in schema["definitions"]})
        return _loose_ints(schema["schema"], path, defs, seen)
    if kind == "definition-ref":
        ref = schema["schema_ref"]
        if ref in seen:
            return []
        return _loose_ints(defs[ref], path, defs, seen | {ref})
    found = []
    if kind == "model-fields":
        for name, field in schema["fields"].items():
            found += _loose_ints(field["schema"], f"{path}.{name}", defs, seen)
        return found
    for key, value in schema.items():
        if key in ("serialization", "metadata"):
            continue
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, dict):
                found += _loose_ints(child, path, defs, seen)
            elif isinstance(child, tuple) and child and isinstance(child[0], dict):  # tagged unions
                found += _loose_ints(child[0], path, defs, seen)
    return found


def test_every_integer_in_every_json_body_is_strict_and_every_id_bounded(app: FastAPI) -> None:
    problems: list[str] = []
    bodies = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for param in route.dependant.body_params:
            model = param.field_info.annotation
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue  # form fields arrive as text and are parsed, not JSON
            bodies += 1
            where = f"{sorted(route.methods)[0]} {route.path} {model.__name__}"
            problems += [where + p for p in _loose_ints(model.__pydantic_core_schema__, "", {}, set())]
    assert bodies > 40
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("loose", [True, "1", 1.0])
def test_a_quantity_that_is_not_a_json_integer_is_refused(
    client: TestClient, session: Session, loose: object
) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    r = client.post(
        "/api/v1/cart/items", headers=buyer.headers, json={"sku_id": sale.sku_id, "quantity": loose}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    r = client.post(
        "/api/v1/checkout/quote",
        headers=buyer.headers,
        json={"lines": [{"sku_id": str(sale.sku_id), "quantity": 1}]},
    )
    assert r.status_code == 422, r.text
    ok = client.post("/api/v1/cart/items", headers=buyer.headers, json={"sku_id": sale.sku_id, "quantity": 1})
    assert ok.status_code < 300, ok.text


def _coupon_state(session: Session, coupon_id: int) -> tuple[int, int]:
    session.expire_all()
    coupon = session.get(Coupon, coupon_id)
    assert coupon is not None
    held = session.scalar(
        select(func.count()).select_from(BuyerCoupon).where(BuyerCoupon.coupon_id == coupon_id)
    )
    issued = coupon.issued_count
    session.commit()  # end the read: on SQLite it holds the write lock the next request needs
    return issued, held or 0


@pytest.mark.parametrize(
    ("buyer_ids", "status", "code"),
    [
        ([2**64], 422, "VALIDATION_ERROR"),
        ([MAX_ID + 1], 422, "VALIDATION_ERROR"),
        ([-1, 0], 422, "VALIDATION_ERROR"),
        ([True], 422, "VALIDATION_ERROR"),
        (["7"], 422, "VALIDATION_ERROR"),
        ([MAX_ID], 422, "BUYERS_NOT_FOUND"),
        ([987_654_321], 422, "BUYERS_NOT_FOUND"),
    ],
)
def test_coupons_are_issued_only_to_buyers_who_exist(
    client: TestClient, session: Session, buyer_ids: list[object], status: int, code: str
) -> None:
    sale = make_on_sale(session)
    coupon = shop_coupon(session, sale.shop_id, cut_fen=500, total=5)
    real = make_buyer(session)
    r = client.post(
        f"/api/v1/shops/{sale.shop_id}/coupons/issue",
        headers=sale.owner_headers,
        json={"coupon_id": coupon.id, "buyer_ids": [real.user_id, *buyer_ids]},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    # Nothing issued, not even to the real buyer in the same batch; the quantity is untouched.
    assert _coupon_state(session, coupon.id) == (0, 0)
    r = client.post(
        f"/api/v1/shops/{sale.shop_id}/coupons/issue",
        headers=sale.owner_headers,
        json={"coupon_id": coupon.id, "buyer_ids": [real.user_id]},
    )
    assert r.status_code == 201, r.text
    assert _coupon_state(session, coupon.id) == (1, 1)

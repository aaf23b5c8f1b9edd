"""立即购买 before routing (``orders.router.FAST_BUY_NOW``, ``core.fast_routes``) answers exactly
what the route answers, and leaves to the route what it may not answer.

A query string sends a request to its route (the fast path takes none; the route ignores it), so
each answer of the fast path is compared with the route's answer to the same request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import fast_routes
from laotie.orders.models import Order
from tests.factories.orders import Buyer, OnSale, key, make_buyer, make_on_sale

PATH = "/api/v1/orders/buy-now"
ROUTED = "?via=route"


@dataclass
class Seen:
    """What the fast path did: the requests whose body it read, and those it answered itself."""

    read: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seen]:
    out = Seen()
    real_read, real_respond = fast_routes.FastCall.read_body, fast_routes.FastCall.respond

    async def read_body(call: fast_routes.FastCall) -> bytes | None:
        out.read.append(call.scope["path"])
        return await real_read(call)

    async def respond(call: fast_routes.FastCall, response: Any) -> bool:
        out.answered.append(call.scope["path"])
        return await real_respond(call, response)

    monkeypatch.setattr(fast_routes.FastCall, "read_body", read_body)
    monkeypatch.setattr(fast_routes.FastCall, "respond", respond)
    yield out


def _body(buyer: Buyer, sale: OnSale, **extra: Any) -> dict[str, Any]:
    return {
        "sku_id": sale.sku_id,
        "quantity": 1,
        "expected_unit_price_fen": sale.price_fen,
        "address_id": buyer.address_id,
        **extra,
    }


def _buy(client: TestClient, buyer: Buyer, body: Any, k: str, query: str = "", **headers: str) -> Response:
    return client.post(PATH + query, json=body, headers={**buyer.headers, "Idempotency-Key": k, **headers})


# What differs between two placements of the same thing: their ids and times.
_OWN = {
    "id",
    "checkout_id",
    "order_id",
    "order_ids",
    "payment_intent_id",
    "expires_at",
    "placed_at",
    "created_at",
}


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k in _OWN else _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _same(fast: Response, routed: Response) -> None:
    """The same status and content type; the same bytes, or for two placements the same answer
    but for their own ids and times."""
    assert fast.status_code == routed.status_code, (fast.text, routed.text)
    assert fast.headers["content-type"] == routed.headers["content-type"]
    if fast.status_code in (200, 201) and fast.content != routed.content:
        assert _placeholders(fast.json()) == _placeholders(routed.json())
        assert list(fast.json()) == list(routed.json())  # the same keys in the same order
    else:
        assert fast.content == routed.content


def _orders(session: Session, buyer: Buyer) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Order).where(Order.buyer_id == buyer.user_id))
    session.rollback()  # on SQLite an open transaction here would hold the write lock the batcher needs
    return count or 0


def test_buying_answers_what_the_route_answers(client: TestClient, session: Session, seen: Seen) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, stock=3, price_fen=990)
    k1, k2 = key(), key()
    placed, routed = (
        _buy(client, buyer, _body(buyer, sale), k1),
        _buy(client, buyer, _body(buyer, sale), k2, ROUTED),
    )
    assert placed.status_code == 201 and seen.answered == seen.read == [PATH]
    _same(placed, routed)
    # A retry with its key: the same checkout, 200, by either path; nothing placed twice.
    again, routed_again = (
        _buy(client, buyer, _body(buyer, sale), k1),
        _buy(client, buyer, _body(buyer, sale), k1, ROUTED),
    )
    assert again.json()["checkout_id"] == placed.json()["checkout_id"] == routed_again.json()["checkout_id"]
    _same(again, routed_again)
    assert again.status_code == 200 and _orders(session, buyer) == 2
    # Refusals the batcher decides: a changed price, more than the stock left, a SKU that is not there.
    for change in ({"expected_unit_price_fen": 1}, {"quantity": 5}, {"sku_id": 10**12}):
        wanted = _body(buyer, sale, **change)
        _same(_buy(client, buyer, wanted, key()), _buy(client, buyer, wanted, key(), ROUTED))
        english = {"Accept-Language": "en"}
        _same(
            _buy(client, buyer, wanted, key(), **english),
            _buy(client, buyer, wanted, key(), ROUTED, **english),
        )
    assert _orders(session, buyer) == 2 and len(seen.answered) == len(seen.read) == 2 + 6


def test_a_purchase_it_may_not_answer_goes_to_the_route(
    client: TestClient, session: Session, seen: Seen
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, stock=5, price_fen=990)
    body = _body(buyer, sale)
    assert client.post(PATH, json=body, headers={"Idempotency-Key": key()}).status_code == 401
    assert _buy(client, buyer, body, key(), Authorization="Bearer nope").status_code == 401
    assert client.post(PATH, json=body, headers=buyer.headers).status_code == 422  # no key
    assert _buy(client, buyer, body, "k" * 101).status_code == 422
    form = client.post(
        PATH, data={"sku_id": str(sale.sku_id)}, headers={**buyer.headers, "Idempotency-Key": key()}
    )
    assert form.status_code == 422
    assert seen.read == seen.answered == []
    # Bodies the model refuses are read by the fast path, then given to the route as they came.
    for wanted in (
        {**body, "quantity": 0},
        {**body, "sku_id": "7"},
        [body],
        {**body, "coupon_ids": [1] * 11},
    ):
        _same(_buy(client, buyer, wanted, key()), _buy(client, buyer, wanted, key(), ROUTED))
    for raw in (b"{not json", b""):
        sent = {
            "content": raw,
            "headers": {**buyer.headers, "Idempotency-Key": key(), "Content-Type": "application/json"},
        }
        assert client.post(PATH, **sent).status_code == 422  # type: ignore[arg-type]
    assert len(seen.read) == 6 and seen.answered == [] and _orders(session, buyer) == 0
    assert _buy(client, buyer, body, key()).status_code == 201 and seen.answered == [PATH]

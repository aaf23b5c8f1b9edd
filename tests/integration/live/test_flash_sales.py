"""Flash sales (秒杀): reserved from stock when created, open exactly at the start, sold at the
server's price through the batched buy path with the live attribution, never past quantity or limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog.models import Sku
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.live import service as live
from laotie.live.models import FlashSale
from laotie.live.schemas import SessionIn
from laotie.orders.models import Order, OrderLine
from tests.factories.live import OnAir, creator_anchor, flash_sale, on_air
from tests.factories.orders import Buyer, make_buyer, make_on_sale


def _stock(session: Session, sku_id: int) -> int:
    session.expire_all()
    value = session.scalar(select(Sku.stock).where(Sku.id == sku_id))
    session.commit()
    return int(value or 0)


def _sale(session: Session, flash_id: int) -> FlashSale:
    session.expire_all()
    sale = session.get(FlashSale, flash_id)
    assert sale is not None
    session.commit()
    return sale


def _buy(
    client: TestClient, air: OnAir, flash_id: int, buyer: Buyer, key: str, qty: int = 1
) -> httpx.Response:
    return client.post(
        f"/api/v1/live/sessions/{air.session_id}/flash-sales/{flash_id}/buy",
        json={"quantity": qty, "address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


def test_creating_reserves_stock_and_short_stock_is_refused(session: Session) -> None:
    air = on_air(session, stock=15, price_fen=9900)
    flash_id = flash_sale(session, air, quantity=10, price_fen=1990)
    assert _stock(session, air.sale.sku_id) == 5
    with pytest.raises(AppError) as refused:
        flash_sale(session, air, quantity=6)
    assert refused.value.code == "FLASH_SALE_NOT_ENOUGH_STOCK"
    session.rollback()
    assert _stock(session, air.sale.sku_id) == 5
    assert [s.id for s in live.session_sales(session, air.session_id)] == [flash_id]
    with pytest.raises(AppError) as pricey:
        flash_sale(session, air, quantity=1, price_fen=9900)
    assert pricey.value.code == "FLASH_SALE_PRICE_INVALID"
    session.rollback()
    assert _stock(session, air.sale.sku_id) == 5


def test_it_opens_at_the_start_and_sells_at_the_flash_price(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=20, price_fen=9900)
    flash_id = flash_sale(session, air, quantity=3, price_fen=1990, limit=1, in_seconds=60)
    buyer = make_buyer(session)
    early = _buy(client, air, flash_id, buyer, "k-early")
    assert early.status_code == 409 and early.json()["error"]["code"] == "FLASH_SALE_NOT_OPEN"
    assert _sale(session, flash_id).remaining == 3
    with clock.travel(timedelta(seconds=61)):
        bought = _buy(client, air, flash_id, buyer, "k-1")
        assert bought.status_code == 201, bought.text
        assert bought.json()["total_fen"] == 1990
        again = _buy(client, air, flash_id, buyer, "k-2")
        assert again.status_code == 409 and again.json()["error"]["code"] == "FLASH_SALE_LIMIT_EXCEEDED"
        replay = _buy(client, air, flash_id, buyer, "k-1")
        assert replay.status_code == 200 and replay.json() == bought.json()
    order_id = bought.json()["orders"][0]["id"]
    order = session.get(Order, order_id)
    assert order is not None
    assert (order.channel.value, order.live_session_id, order.creator_id) == ("live", air.session_id, None)
    assert (order.items_total_fen, order.discount_fen, order.payable_fen) == (9900, 7910, 1990)
    line = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).one()
    assert line.discounts == [
        {
            "kind": "flash_sale",
            "funded_by": "shop",
            "amount_fen": 7910,
            "reference_id": flash_id,
            "unit_price_fen": 1990,
        }
    ]
    session.commit()
    assert _sale(session, flash_id).remaining == 2
    # The units came from the reservation, not from the shelf.
    assert _stock(session, air.sale.sku_id) == 17


def test_the_client_cannot_choose_the_price(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=5, price_fen=9900)
    flash_id = flash_sale(session, air, quantity=2, price_fen=1990)
    buyer = make_buyer(session)
    r = client.post(
        f"/api/v1/live/sessions/{air.session_id}/flash-sales/{flash_id}/buy",
        json={"quantity": 1, "address_id": buyer.address_id, "price_fen": 1, "expected_unit_price_fen": 1},
        headers={**buyer.headers, "Idempotency-Key": "k"},
    )
    assert r.status_code == 201 and r.json()["total_fen"] == 1990
    # The ordinary buy-now path knows nothing of the flash price: the shelf price it is.
    stale = client.post(
        "/api/v1/orders/buy-now",
        json={"sku_id": air.sale.sku_id, "expected_unit_price_fen": 1990, "address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": "k2"},
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "PRICE_CHANGED"


async def _rush(
    app: FastAPI, calls: list[tuple[str, dict[str, Any], dict[str, str]]]
) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flash") as client:
        return await asyncio.gather(*(client.post(u, json=b, headers=h) for u, b, h in calls))


def test_a_rush_sells_exactly_the_quantity(app: FastAPI, session: Session) -> None:
    air = on_air(session, stock=50, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=10, price_fen=990, limit=2)
    buyers = [make_buyer(session) for _ in range(16)]
    url = f"/api/v1/live/sessions/{air.session_id}/flash-sales/{flash_id}/buy"
    calls = [
        (url, {"quantity": 2, "address_id": b.address_id}, {**b.headers, "Idempotency-Key": f"r{b.user_id}"})
        for b in buyers
    ]
    answers = asyncio.run(_rush(app, calls))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 5 and codes.count(409) == 11
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {"FLASH_SALE_SOLD_OUT"}
    assert _sale(session, flash_id).remaining == 0
    units = session.scalar(
        select(OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.live_session_id == air.session_id)
        .limit(1)
    )
    count = len(session.scalars(select(Order.id).where(Order.live_session_id == air.session_id)).all())
    session.commit()
    assert units == 2 and count == 5
    assert _stock(session, air.sale.sku_id) == 40


def test_ending_the_session_gives_unsold_units_back(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=30, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=10, price_fen=990, limit=3)
    buyer = make_buyer(session)
    assert _buy(client, air, flash_id, buyer, "k", qty=3).status_code == 201
    assert _stock(session, air.sale.sku_id) == 20
    ended = client.post(f"/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert ended.status_code == 200
    assert _stock(session, air.sale.sku_id) == 27
    sale = _sale(session, flash_id)
    assert sale.closed and sale.remaining == 7
    late = _buy(client, air, flash_id, make_buyer(session), "late")
    assert late.status_code == 409 and late.json()["error"]["code"] == "LIVE_SESSION_ENDED"
    # Ending again gives nothing back twice.
    client.post(f"/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert _stock(session, air.sale.sku_id) == 27


def test_a_creator_sells_only_alliance_products(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, stock=10, price_fen=3000)
    creator = creator_anchor(session)
    out = live.create_session(session, creator.principal, creator.room_id, SessionIn(title="达人专场"))
    session.commit()
    url = f"/api/v1/live/sessions/{out.id}/cart"
    refused = client.post(url, json={"product_id": sale.product_id}, headers=creator.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "LIVE_PRODUCT_NOT_ALLOWED"
    assert client.get(url).json() == []
    from tests.factories.affiliate import offer

    # A real alliance offer: the order below credits the creator only under one (issue 9 item 2).
    offer(session, sale, 1500)
    added = client.post(url, json={"product_id": sale.product_id}, headers=creator.headers)
    assert added.status_code == 200 and added.json()[0]["commission_bp"] == 1500
    item_id = added.json()[0]["id"]
    live.start_by_key(session, creator.stream_key)
    session.commit()
    made = client.post(
        f"/api/v1/live/sessions/{out.id}/flash-sales",
        json={
            "item_id": item_id,
            "sku_id": sale.sku_id,
            "price_fen": 990,
            "quantity": 2,
            "starts_at": clock.now().isoformat(),
        },
        headers=creator.headers,
    )
    assert made.status_code == 201, made.text
    buyer = make_buyer(session)
    r = client.post(
        f"/api/v1/live/sessions/{out.id}/flash-sales/{made.json()['id']}/buy",
        json={"address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": "c1"},
    )
    assert r.status_code == 201, r.text
    order = session.get(Order, r.json()["orders"][0]["id"])
    assert order is not None and order.creator_id == creator.user_id and order.live_session_id == out.id


def test_pinning_and_cart_order(client: TestClient, session: Session) -> None:
    air = on_air(session)
    second = make_on_sale(session, shop_id=air.sale.shop_id)
    url = f"/api/v1/live/sessions/{air.session_id}"
    cart = client.post(
        f"{url}/cart", json={"product_id": second.product_id}, headers=air.anchor.headers
    ).json()
    ids = [i["id"] for i in cart]
    assert len(ids) == 2
    reordered = client.put(f"{url}/cart-order", json={"item_ids": ids[::-1]}, headers=air.anchor.headers)
    assert [i["id"] for i in reordered.json()] == ids[::-1]
    bad = client.put(f"{url}/cart-order", json={"item_ids": ids[:1]}, headers=air.anchor.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "LIVE_CART_ORDER_MISMATCH"
    pinned = client.put(f"{url}/pin", json={"item_id": ids[1]}, headers=air.anchor.headers)
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert [i["pinned"] for i in client.get(f"{url}/cart").json()] == [True, False]
    buyer = make_buyer(session)
    r = client.put(f"{url}/pin", json={"item_id": ids[0]}, headers=buyer.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_LIVE_ROOM_OWNER"
    assert client.get(url).json()["pinned_item_id"] == ids[1]


def test_the_live_cart_is_built_once_and_served_with_an_etag(client: TestClient, session: Session) -> None:
    air = on_air(session)
    url = f"/api/v1/live/sessions/{air.session_id}/cart"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    assert [i["product_id"] for i in first.json()] == [air.sale.product_id]
    same = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304 and same.content == b""
    # The anchor's change is seen at once by the process that made it (its write drops the cache).
    second = make_on_sale(session, shop_id=air.sale.shop_id)
    added = client.post(url, json={"product_id": second.product_id}, headers=air.anchor.headers)
    assert added.status_code == 200, added.text
    after = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and len(after.json()) == 2
    missing = client.get("/api/v1/live/sessions/999999/cart")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "LIVE_SESSION_NOT_FOUND"

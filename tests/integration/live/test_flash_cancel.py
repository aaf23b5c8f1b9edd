"""A flash-sale order cancelled unpaid gives its unit back to the flash sale while the sale runs (the
next buyer gets it at the flash price), and to the SKU's stock once the session has ended and the
sale closed: exactly once either way, and never more sold than the sale's quantity, even when
cancels, purchases and the session's end race each other."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog.models import Sku
from laotie.core import clock
from laotie.live.models import FlashQuota, FlashSale
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderLine, OrderStatus
from tests.factories.live import OnAir, flash_sale, on_air
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


def _buy_url(air: OnAir, flash_id: int) -> str:
    return f"/api/v1/live/sessions/{air.session_id}/flash-sales/{flash_id}/buy"


def _buy(client: TestClient, air: OnAir, flash_id: int, buyer: Buyer, key: str) -> httpx.Response:
    return client.post(
        _buy_url(air, flash_id),
        json={"quantity": 1, "address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


def _cancel(client: TestClient, buyer: Buyer, order_id: int) -> httpx.Response:
    return client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "不想要了"}, headers=buyer.headers
    )


def _active_units(session: Session, air: OnAir) -> int:
    """Units held by this session's orders that were not cancelled."""
    session.expire_all()
    units = session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.live_session_id == air.session_id, Order.status != OrderStatus.CANCELLED)
    )
    session.commit()
    return int(units or 0)


def _quota(session: Session, flash_id: int, buyer: Buyer) -> int | None:
    session.expire_all()
    units = session.scalar(
        select(FlashQuota.units).where(
            FlashQuota.flash_sale_id == flash_id, FlashQuota.buyer_id == buyer.user_id
        )
    )
    session.commit()
    return units


def _sell_out(
    client: TestClient, session: Session, air: OnAir, flash_id: int, n: int
) -> list[tuple[Buyer, int]]:
    sold = []
    for i in range(n):
        buyer = make_buyer(session)
        r = _buy(client, air, flash_id, buyer, f"sell-{i}")
        assert r.status_code == 201, r.text
        sold.append((buyer, int(r.json()["orders"][0]["id"])))
    return sold


def test_a_cancelled_unpaid_order_gives_its_unit_back_to_the_running_sale(
    client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=20, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=2, price_fen=990, limit=1)
    (first, first_order), _ = _sell_out(client, session, air, flash_id, 2)
    late = make_buyer(session)
    refused = _buy(client, air, flash_id, late, "late-1")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "FLASH_SALE_SOLD_OUT"
    assert _stock(session, air.sale.sku_id) == 18

    assert _cancel(client, first, first_order).status_code == 200
    sale = _sale(session, flash_id)
    assert (sale.remaining, sale.closed) == (1, False)
    assert _stock(session, air.sale.sku_id) == 18  # the unit went to the sale, not to the shelf
    assert _quota(session, flash_id, first) == 0  # the canceller's flash quota is free again
    # Cancelling again moves nothing twice.
    again = _cancel(client, first, first_order)
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_ORDER_STATE"
    assert _sale(session, flash_id).remaining == 1

    bought = _buy(client, air, flash_id, late, "late-2")
    assert bought.status_code == 201, bought.text
    assert bought.json()["total_fen"] == 990  # at the flash price
    assert _sale(session, flash_id).remaining == 0
    last = _buy(client, air, flash_id, make_buyer(session), "late-3")
    assert last.status_code == 409 and last.json()["error"]["code"] == "FLASH_SALE_SOLD_OUT"
    assert _stock(session, air.sale.sku_id) == 18 and _active_units(session, air) == 2


def test_an_expired_unpaid_flash_order_also_goes_back_to_the_sale(
    client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=10, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=1, price_fen=990)
    [(buyer, _)] = _sell_out(client, session, air, flash_id, 1)
    with clock.travel(timedelta(days=2)):
        cancelled = orders.cancel_expired(session)
        session.commit()
    assert len(cancelled) == 1
    assert _sale(session, flash_id).remaining == 1 and _stock(session, air.sale.sku_id) == 9
    # The buyer whose order expired may buy again (the quota came back with the unit).
    assert _buy(client, air, flash_id, buyer, "again").status_code == 201
    assert _sale(session, flash_id).remaining == 0


def test_other_lines_of_a_cancelled_order_still_go_back_to_their_skus(
    client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=10, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=3, price_fen=990)
    [(buyer, order_id)] = _sell_out(client, session, air, flash_id, 1)
    shelf = make_on_sale(session, stock=4, price_fen=1200)
    bought = client.post(
        "/api/v1/orders/buy-now",
        json={"sku_id": shelf.sku_id, "expected_unit_price_fen": 1200, "address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": "shelf"},
    )
    assert bought.status_code == 201, bought.text
    assert _stock(session, shelf.sku_id) == 3
    assert _cancel(client, buyer, int(bought.json()["orders"][0]["id"])).status_code == 200
    assert _stock(session, shelf.sku_id) == 4  # an ordinary line: back to its SKU
    assert _sale(session, flash_id).remaining == 2  # the flash order is untouched
    assert _cancel(client, buyer, order_id).status_code == 200
    assert _sale(session, flash_id).remaining == 3 and _stock(session, air.sale.sku_id) == 7


def test_after_the_session_ended_a_cancelled_unit_goes_to_the_shelf_once(
    client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=10, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=3, price_fen=990)
    sold = _sell_out(client, session, air, flash_id, 2)
    assert _stock(session, air.sale.sku_id) == 7
    ended = client.post(f"/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert ended.status_code == 200
    assert _stock(session, air.sale.sku_id) == 8  # the unsold unit
    buyer, order_id = sold[0]
    assert _cancel(client, buyer, order_id).status_code == 200
    sale = _sale(session, flash_id)
    assert (sale.closed, sale.remaining) == (True, 1)  # the closed sale takes nothing back
    assert _stock(session, air.sale.sku_id) == 9
    # Ending again, or cancelling again, gives nothing back twice.
    client.post(f"/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert _cancel(client, buyer, order_id).status_code == 409
    assert _stock(session, air.sale.sku_id) == 9 and _active_units(session, air) == 1


async def _together(
    app: FastAPI, calls: list[tuple[str, dict[str, Any], dict[str, str]]]
) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flash") as client:
        return await asyncio.gather(*(client.post(u, json=b, headers=h) for u, b, h in calls))


def _check_books(session: Session, air: OnAir, flash_id: int, quantity: int, initial_stock: int) -> None:
    """Every unit is in exactly one place: an order that stands, the running sale, or the shelf."""
    sale = _sale(session, flash_id)
    active = _active_units(session, air)
    stock = _stock(session, air.sale.sku_id)
    assert sale.remaining >= 0 and active <= quantity
    if sale.closed:
        assert stock + active == initial_stock
    else:
        assert active + sale.remaining == quantity and stock == initial_stock - quantity


def test_cancels_and_purchases_racing_never_oversell(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=30, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=6, price_fen=990, limit=1)
    sold = _sell_out(client, session, air, flash_id, 6)
    newcomers = [make_buyer(session) for _ in range(10)]
    calls = [
        (f"/api/v1/orders/{order_id}/cancel", {"reason": "race"}, buyer.headers)
        for buyer, order_id in sold[:4]
    ] + [
        (
            _buy_url(air, flash_id),
            {"address_id": b.address_id},
            {**b.headers, "Idempotency-Key": f"n{b.user_id}"},
        )
        for b in newcomers
    ]
    answers = asyncio.run(_together(app, calls))
    assert [r.status_code for r in answers[:4]] == [200] * 4
    bought = [r for r in answers[4:] if r.status_code == 201]
    refused = [r for r in answers[4:] if r.status_code != 201]
    assert {r.json()["error"]["code"] for r in refused} <= {"FLASH_SALE_SOLD_OUT"}
    assert len(bought) <= 4  # only the cancelled units were there to buy again
    _check_books(session, air, flash_id, 6, 30)
    assert _sale(session, flash_id).remaining == 4 - len(bought)


def test_cancels_racing_the_end_of_the_session_count_every_unit_once(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=30, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=8, price_fen=990, limit=1)
    sold = _sell_out(client, session, air, flash_id, 6)
    calls = [
        (f"/api/v1/orders/{order_id}/cancel", {"reason": "race"}, buyer.headers)
        for buyer, order_id in sold[:5]
    ]
    calls.insert(2, (f"/api/v1/live/sessions/{air.session_id}/end", {}, air.anchor.headers))
    answers = asyncio.run(_together(app, calls))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    sale = _sale(session, flash_id)
    assert sale.closed
    _check_books(session, air, flash_id, 8, 30)
    # 8 reserved, 6 sold, 5 cancelled: one order stands and every other unit is back on the shelf.
    assert _active_units(session, air) == 1 and _stock(session, air.sale.sku_id) == 29


def test_viewers_see_the_unit_come_back(app: FastAPI, client: TestClient, session: Session) -> None:
    from laotie.core.db import Database
    from laotie.core.outbox import OutboxWorker

    air = on_air(session, stock=10, price_fen=5000)
    flash_id = flash_sale(session, air, quantity=1, price_fen=990)
    [(buyer, order_id)] = _sell_out(client, session, air, flash_id, 1)
    db: Database = app.state.db
    OutboxWorker(db).run_until_idle()  # the purchase's own events, before we watch
    with client.websocket_connect(f"/api/v1/live/sessions/{air.session_id}/ws") as ws:
        state = ws.receive_json()
        assert state[0]["flash_sales"][0]["remaining"] == 0
        time.sleep(1.5)  # past the read-back the purchase itself asked for
        ws.send_json({"type": "ping", "ts": "before"})
        before: list[dict[str, Any]] = []
        while not any(m.get("ts") == "before" for m in before):
            before += ws.receive_json()
        assert _cancel(client, buyer, order_id).status_code == 200
        OutboxWorker(db).run_until_idle()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        mark = 0
        while time.monotonic() < deadline and not any(m["type"] == "stock" for m in seen):
            time.sleep(0.5)  # stock is read back about once a second
            mark += 1
            ws.send_json({"type": "ping", "ts": mark})
            while not any(m.get("type") == "pong" and m.get("ts") == mark for m in seen):
                seen += ws.receive_json()
    assert [(m["flash_id"], m["remaining"]) for m in seen if m["type"] == "stock"] == [(flash_id, 1)]

"""A flash sale never sells before the broadcast (issue 9 item 7): a sale whose start comes while
its session is still scheduled waits for the session to go live, then opens; a session that ends
without going live closes the sale and puts its units back on the shelf."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog.models import Sku
from laotie.live import service as live
from laotie.live.models import FlashSale
from laotie.orders.models import Order
from tests.factories.live import OnAir, flash_sale, on_air
from tests.factories.orders import Buyer, make_buyer


def _buy(client: TestClient, air: OnAir, flash_id: int, buyer: Buyer, key: str) -> httpx.Response:
    return client.post(
        f"/api/v1/live/sessions/{air.session_id}/flash-sales/{flash_id}/buy",
        json={"quantity": 1, "address_id": buyer.address_id},
        headers={**buyer.headers, "Idempotency-Key": key},
    )


def _stock(session: Session, sku_id: int) -> int:
    session.expire_all()
    value = session.scalar(select(Sku.stock).where(Sku.id == sku_id))
    session.commit()
    return int(value or 0)


def test_a_sale_in_a_scheduled_session_waits_for_the_broadcast(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=20, start=False)  # scheduled, not on air yet
    flash_id = flash_sale(session, air, quantity=5)  # starts now
    buyer = make_buyer(session)
    early = _buy(client, air, flash_id, buyer, "early")
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "FLASH_SALE_WAITING_FOR_LIVE"
    cart = client.get(f"/api/v1/live/sessions/{air.session_id}/cart").json()
    shown = cart[0]["flash_sales"][0]
    assert shown["open"] is False and shown["waiting_for_live"] is True
    session.rollback()
    assert session.scalar(select(Order.id)) is None  # nothing was sold
    live.start_by_key(session, air.anchor.stream_key)
    session.commit()
    bought = _buy(client, air, flash_id, buyer, "on-air")
    assert bought.status_code in (200, 201), bought.text
    session.expire_all()
    sale = session.get(FlashSale, flash_id)
    assert sale is not None and sale.remaining == 4
    session.commit()


def test_a_session_ending_without_going_live_closes_the_sale_and_returns_its_stock(
    client: TestClient, session: Session
) -> None:
    air = on_air(session, stock=20, start=False)
    flash_id = flash_sale(session, air, quantity=5)
    assert _stock(session, air.sale.sku_id) == 15
    live.end_session(session, air.anchor.principal, air.session_id)
    session.commit()
    assert _stock(session, air.sale.sku_id) == 20
    late = _buy(client, air, flash_id, make_buyer(session), "after")
    assert late.status_code == 409

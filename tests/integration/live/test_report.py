"""The session report: viewers, peak, comments, likes, new followers, orders, GMV, conversion and
per-product sales, for the anchor only."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.live import service as live
from laotie.live.realtime import store
from laotie.orders import service as orders
from laotie.orders.schemas import Attribution, CheckoutIn, LineIn
from laotie.social import service as social_service
from tests.factories.live import on_air
from tests.factories.orders import key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver


def test_the_report_adds_up(
    app: FastAPI, client: TestClient, session: Session, db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    air = on_air(session, stock=50, price_fen=2000)
    other = make_on_sale(session, stock=50, price_fen=500, shop_id=air.sale.shop_id)
    live.add_to_cart(session, air.anchor.principal, air.session_id, other.product_id)
    session.commit()
    buyers = [make_buyer(session) for _ in range(3)]
    attribution = Attribution.model_validate({"channel": "live", "live_session_id": air.session_id})
    placed = []
    for buyer, lines in zip(
        buyers,
        [[(air.sale, 2)], [(air.sale, 1), (other, 4)], [(other, 1)]],
        strict=True,
    ):
        body = CheckoutIn(
            lines=[
                LineIn(sku_id=s.sku_id, quantity=q, expected_unit_price_fen=s.price_fen) for s, q in lines
            ],
            address_id=buyer.address_id,
            attribution=attribution,
        )
        placed.append(orders.checkout(session, buyer.principal, body, key()))
    session.commit()
    # Two of three buyers pay; the third order stays unpaid (no GMV).
    for buyer, checkout in zip(buyers[:2], placed[:2], strict=True):
        intent = orders.pay(session, buyer.principal, checkout.checkout_id, key())
        session.commit()
        assert confirm(client, intent).status_code == 202
    deliver(db, client)  # type: ignore[arg-type]
    app.state.outbox_worker.run_until_idle()
    now = clock.now()
    pending = store.Pending()
    for i in range(10):
        pending.viewers[(air.session_id, f"a:{i}")] = (None, now)
    pending.viewers[(air.session_id, "a:0")] = (None, now)  # the same visitor twice
    for n in range(5):
        pending.comments.append(
            {
                "session_id": air.session_id,
                "user_id": buyers[0].user_id,
                "text": f"c{n}",
                "status": "shown",
                "reason": "",
                "created_at": now,
            }
        )
    pending.comments.append(
        {
            "session_id": air.session_id,
            "user_id": buyers[1].user_id,
            "text": "加微信",
            "status": "blocked",
            "reason": "banned_word",
            "created_at": now,
        }
    )
    pending.likes[air.session_id] = 42
    pending.peaks[air.session_id] = 8
    store.flush(db, pending)  # type: ignore[arg-type]
    pending = store.Pending()
    pending.peaks[air.session_id] = 5  # a lower count later never lowers the peak
    store.flush(db, pending)  # type: ignore[arg-type]
    asked: list[tuple[str, int]] = []

    def followers(s: Session, kind: str, target: int, start: datetime, end: datetime) -> int:
        asked.append((kind, target))
        assert start <= end
        return 7

    monkeypatch.setattr(social_service, "new_followers_between", followers)
    ended = client.post(f"/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert ended.status_code == 200
    r = client.get(f"/api/v1/live/sessions/{air.session_id}/report", headers=air.anchor.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert asked == [("shop", air.sale.shop_id)]
    assert (report["unique_viewers"], report["peak_viewers"]) == (10, 8)
    assert (report["comments"], report["blocked_comments"], report["likes"]) == (6, 1, 42)
    assert report["new_followers"] == 7
    assert (report["orders"], report["paid_orders"], report["buyers"]) == (3, 2, 2)
    assert report["gmv_fen"] == 2 * 2000 + 1 * 2000 + 4 * 500
    assert report["conversion"] == 0.2
    by_product = {p["product_id"]: (p["orders"], p["units"], p["gmv_fen"]) for p in report["products"]}
    assert by_product == {air.sale.product_id: (2, 3, 6000), other.product_id: (1, 4, 2000)}
    assert sum(report["orders_timeline"]) == 3
    stranger = make_buyer(session)
    denied = client.get(f"/api/v1/live/sessions/{air.session_id}/report", headers=stranger.headers)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "NOT_LIVE_ROOM_OWNER"

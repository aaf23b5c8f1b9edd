"""Orders from a video carry channel ``video`` and the video id, and only for products it links."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.orders import service as orders
from laotie.orders.models import Channel, Order, OrderLine
from laotie.orders.schemas import Attribution
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.video import post_video


def test_a_creators_video_order_locks_commission(app: FastAPI, client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=6000)
    offer(session, sale, 1200)
    creator = make_creator(session)
    posted = post_video(session, app.state.storage, creator.principal, [sale.product_id])
    assert posted.creator_id == creator.user_id
    buyer = make_buyer(session)
    session.commit()  # on SQLite an open transaction would hold the write lock the app needs
    r = client.post(
        "/api/v1/orders/buy-now",
        headers={**buyer.headers, "Idempotency-Key": key()},
        json={
            "sku_id": sale.sku_id,
            "expected_unit_price_fen": sale.price_fen,
            "address_id": buyer.address_id,
            "attribution": {"channel": "video", "video_id": posted.id, "creator_id": posted.creator_id},
        },
    )
    assert r.status_code == 201, r.text
    order = session.get(Order, r.json()["orders"][0]["id"])
    assert order is not None
    assert (order.channel, order.video_id, order.creator_id) == (Channel.VIDEO, posted.id, creator.user_id)
    rate = session.scalar(select(OrderLine.commission_rate_bp).where(OrderLine.order_id == order.id))
    assert rate == 1200


def test_a_video_attribution_must_link_the_product_and_name_its_author(
    app: FastAPI, session: Session
) -> None:
    linked = make_on_sale(session)
    other = make_on_sale(session, shop_id=linked.shop_id)
    posted = post_video(
        session,
        app.state.storage,
        owner_principal(session, linked.shop_id),
        [linked.product_id],
        shop_id=linked.shop_id,
    )
    creator = make_creator(session)
    buyer = make_buyer(session)
    bad = [
        (other, Attribution(channel=Channel.VIDEO, video_id=posted.id)),  # not linked
        (linked, Attribution(channel=Channel.VIDEO, video_id=posted.id + 1000)),  # no such video
        (
            linked,
            Attribution(channel=Channel.VIDEO, video_id=posted.id, creator_id=creator.user_id),
        ),  # not its author
    ]
    for sale, attribution in bad:
        body = checkout_body(buyer, (sale, 1))
        body.attribution = attribution
        with pytest.raises(AppError) as caught:
            orders.checkout(session, buyer.principal, body, key())
        assert caught.value.code == "VIDEO_ATTRIBUTION_INVALID"
        session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    body = checkout_body(buyer, (linked, 1))
    body.attribution = Attribution(channel=Channel.VIDEO, video_id=posted.id)
    placed = orders.checkout(session, buyer.principal, body, key())
    session.commit()
    assert session.get(Order, placed.orders[0].id).video_id == posted.id  # type: ignore[union-attr]

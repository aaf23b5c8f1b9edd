"""Merchants offer products to creators; creators browse the market and fill their showcase."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.affiliate.models import Offer, OfferChange, ShowcaseItem
from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import make_product, owner_principal
from tests.factories.orders import make_on_sale


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(m)) or 0 for m in (Offer, OfferChange, ShowcaseItem)
    )


def test_offer_change_withdraw_and_history(session: Session) -> None:
    sale = make_on_sale(session)
    owner = owner_principal(session, sale.shop_id)
    assert affiliate.offered_rate_bp(session, sale.product_id) is None
    affiliate.set_offer(session, owner, sale.shop_id, sale.product_id, 1500)
    affiliate.set_offer(session, owner, sale.shop_id, sale.product_id, 1500)  # same rate: nothing new
    affiliate.set_offer(session, owner, sale.shop_id, sale.product_id, 2000)
    session.commit()
    assert affiliate.offered_rate_bp(session, sale.product_id) == 2000
    affiliate.withdraw_offer(session, owner, sale.shop_id, sale.product_id)
    session.commit()
    assert affiliate.offered_rate_bp(session, sale.product_id) is None
    history = affiliate.offer_history(session, owner, sale.shop_id, sale.product_id)
    assert [(h.action, h.old_rate_bp, h.new_rate_bp) for h in history] == [
        ("offered", None, 1500),
        ("rate_changed", 1500, 2000),
        ("withdrawn", 2000, None),
    ]
    assert all(h.actor_id == owner.user_id for h in history)


def test_bad_offers_are_refused_and_change_nothing(session: Session) -> None:
    sale = make_on_sale(session)
    other = make_on_sale(session)
    owner = owner_principal(session, sale.shop_id)
    draft = make_product(session, sale.shop_id)
    offer(session, sale, 1000)
    before = _counts(session)
    cases = [
        (sale.product_id, 50, "AFFILIATE_RATE_OUT_OF_BOUNDS"),
        (sale.product_id, 5001, "AFFILIATE_RATE_OUT_OF_BOUNDS"),
        (draft.id, 1000, "AFFILIATE_PRODUCT_NOT_LISTED"),
        (other.product_id, 1000, "PRODUCT_NOT_FOUND"),  # another shop's product
    ]
    for product_id, rate, code in cases:
        with pytest.raises(AppError) as caught:
            affiliate.set_offer(session, owner, sale.shop_id, product_id, rate)
        assert caught.value.code == code, (product_id, rate)
        session.rollback()
    with pytest.raises(AppError) as caught:
        affiliate.withdraw_offer(session, owner, sale.shop_id, draft.id)
    assert caught.value.code == "AFFILIATE_NOT_OFFERED"
    session.rollback()
    assert _counts(session) == before
    assert affiliate.offered_rate_bp(session, sale.product_id) == 1000


def test_market_and_showcase(session: Session) -> None:
    offered = make_on_sale(session, price_fen=10000)
    not_offered = make_on_sale(session)
    offer(session, offered, 1500)
    creator = make_creator(session)
    market = affiliate.market(session, PageParams())
    assert [(i.product.id, i.rate_bp, i.commission_per_piece_fen) for i in market.items] == [
        (offered.product_id, 1500, 1500)
    ]
    before = _counts(session)
    with pytest.raises(AppError) as caught:
        affiliate.add_to_showcase(session, creator.principal, not_offered.product_id)
    assert caught.value.code == "AFFILIATE_NOT_OFFERED"
    session.rollback()
    assert _counts(session) == before
    shown = affiliate.add_to_showcase(session, creator.principal, offered.product_id)
    affiliate.add_to_showcase(session, creator.principal, offered.product_id)  # idempotent
    session.commit()
    assert [i.product.id for i in shown.items] == [offered.product_id]
    assert _counts(session)[2] == 1
    # A withdrawn offer leaves the market and the showcase.
    affiliate.withdraw_offer(
        session, owner_principal(session, offered.shop_id), offered.shop_id, offered.product_id
    )
    session.commit()
    assert affiliate.market(session, PageParams()).items == []
    assert affiliate.showcase(session, creator.user_id).items == []


def test_alliance_api(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=8000)
    creator = make_creator(session)
    url = f"/api/v1/shops/{sale.shop_id}/alliance/offers/{sale.product_id}"
    r = client.put(url, json={"rate_bp": 9000}, headers=sale.owner_headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "AFFILIATE_RATE_OUT_OF_BOUNDS"
    r = client.put(url, json={"rate_bp": 2500}, headers=sale.owner_headers)
    assert r.status_code == 200 and r.json()["rate_bp"] == 2500
    assert client.put(url, json={"rate_bp": 2500}, headers=creator.headers).status_code in (403, 404)
    listed = client.get(f"/api/v1/shops/{sale.shop_id}/alliance/offers", headers=sale.owner_headers).json()
    assert [o["product_id"] for o in listed] == [sale.product_id]
    market = client.get("/api/v1/alliance/market").json()
    assert market["items"][0]["commission_per_piece_fen"] == 2000
    r = client.post("/api/v1/creator/showcase", json={"product_id": sale.product_id}, headers=creator.headers)
    assert r.status_code == 200, r.text
    shown = client.get(f"/api/v1/creators/{creator.user_id}/showcase").json()
    assert shown["creator_name"] == "带货达人" and len(shown["items"]) == 1
    assert (
        client.post(
            "/api/v1/creator/showcase", json={"product_id": sale.product_id}, headers=sale.owner_headers
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/creators/{sale.shop_id + 999}/showcase").status_code == 404
    gone = client.delete(f"/api/v1/creator/showcase/{sale.product_id}", headers=creator.headers).json()
    assert gone["items"] == []
    history = client.get(url + "/history", headers=sale.owner_headers).json()
    assert [h["action"] for h in history] == ["offered"]

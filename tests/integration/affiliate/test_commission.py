"""Commission: the rate locks at placement, accrues at completion from the merchant's share, settles."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.money import share_of
from laotie.core.pagination import PageParams
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders.models import OrderLine
from laotie.orders.schemas import Attribution
from tests.factories import make_user
from tests.factories.affiliate import by_creator, make_creator, offer, place_paid
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_on_sale


def _line_rate(session: Session, order_id: int) -> int:
    return session.scalar(select(OrderLine.commission_rate_bp).where(OrderLine.order_id == order_id)) or 0


def _complete(session: Session, shop_id: int, order_id: int) -> None:
    fulfilment.ship(session, owner_principal(session, shop_id), shop_id, order_id, "中通快递", "ZT1000000001")
    session.commit()
    with clock.travel(timedelta(hours=49)):
        fulfilment.mark_delivered(session, order_id)  # the carrier's 签收
        session.commit()
    with clock.travel(timedelta(days=13)):
        fulfilment.auto_confirm(session)
        session.commit()


def test_rate_locked_at_placement_accrues_at_completion_and_settles(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 1500)
    creator = make_creator(session)
    order_id = place_paid(client, app, db, session, sale, by_creator(creator), quantity=2)
    assert _line_rate(session, order_id) == 1500
    # The merchant lowers the rate afterwards: the order keeps what held when it was placed.
    affiliate.set_offer(session, owner_principal(session, sale.shop_id), sale.shop_id, sale.product_id, 500)
    session.commit()
    _complete(session, sale.shop_id, order_id)
    commission = share_of(20000, 1500)
    fee = fulfilment.platform_fee(session, order_id)
    assert ledger.balance(session, K.COMMISSION_PAYABLE, creator.user_id) == commission == 3000
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 20000 - fee - commission
    net = ledger.net_for(session, "order", order_id)
    assert net[(K.COMMISSION_PAYABLE, creator.user_id)] == -commission
    earned = affiliate.earnings(session, creator.principal, PageParams())
    assert (earned.pending_fen, earned.settled_fen) == (commission, 0)
    assert earned.lines[0].order_id == order_id and earned.lines[0].state == "pending"
    with clock.travel(timedelta(days=20)):
        assert fulfilment.settle_due(session) == [order_id]
        session.commit()
    assert ledger.balance(session, K.SHOP_AVAILABLE, sale.shop_id) == 20000 - fee - commission
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 0
    earned = affiliate.earnings(session, creator.principal, PageParams())
    assert (earned.pending_fen, earned.settled_fen) == (0, commission)
    # The next order gets the new rate.
    second = place_paid(client, app, db, session, sale, by_creator(creator))
    assert _line_rate(session, second) == 500


def test_not_offered_or_not_a_creator_locks_rate_zero(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    offered = make_on_sale(session, price_fen=5000)
    offer(session, offered, 2000)
    plain = make_on_sale(session, price_fen=5000)
    creator = make_creator(session)
    not_creator, _ = make_user(session)
    unoffered = place_paid(client, app, db, session, plain, by_creator(creator))
    stranger = place_paid(
        client, app, db, session, offered, Attribution(channel="affiliate", creator_id=not_creator)
    )
    shelf = place_paid(client, app, db, session, offered, Attribution())
    assert [_line_rate(session, o) for o in (unoffered, stranger, shelf)] == [0, 0, 0]
    _complete(session, plain.shop_id, unoffered)
    assert ledger.balance(session, K.COMMISSION_PAYABLE, creator.user_id) == 0
    fee = fulfilment.platform_fee(session, unoffered)
    assert ledger.balance(session, K.SHOP_PENDING, plain.shop_id) == 5000 - fee


def test_earnings_api_is_for_creators(client: TestClient, session: Session) -> None:
    creator = make_creator(session)
    _, buyer = make_user(session)
    r = client.get("/api/v1/creator/earnings", headers=creator.headers)
    assert r.status_code == 200 and r.json()["pending_fen"] == 0 and r.json()["lines"] == []
    assert client.get("/api/v1/creator/earnings", headers=buyer).status_code == 403

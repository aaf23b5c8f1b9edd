"""Who earns commission is verified on the server, never chosen by the buyer (issue 9 item 2).

A buyer naming a creator who never showcased the product (or naming themselves) places the order,
attributed to the channel with no creator, and the creator earns nothing at completion. A creator
who holds the product in their showcase or on their live cart under an active offer is credited. A
live session counts only while it is live and only for the shops whose products are on its cart."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.live import service as live
from laotie.live.schemas import SessionIn
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.orders.models import Channel, Order, OrderLine
from laotie.orders.schemas import Attribution
from tests.factories.affiliate import by_creator, make_creator, offer, place_paid
from tests.factories.catalog import owner_principal
from tests.factories.live import creator_anchor, on_air
from tests.factories.orders import make_on_sale


def _complete(session: Session, shop_id: int, order_id: int) -> None:
    fulfilment.ship(session, owner_principal(session, shop_id), shop_id, order_id, "中通快递", "ZT1000000002")
    session.commit()
    with clock.travel(timedelta(hours=49)):
        fulfilment.mark_delivered(session, order_id)
        session.commit()
    with clock.travel(timedelta(days=13)):
        fulfilment.auto_confirm(session)
        session.commit()


def _order(session: Session, order_id: int) -> Order:
    session.rollback()
    row = session.get(Order, order_id)
    assert row is not None
    return row


def test_a_forged_creator_earns_nothing_at_completion(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 2000)
    creator = make_creator(session)  # never showcased the product
    order_id = place_paid(client, app, db, session, sale, by_creator(creator), showcased=False)
    placed = _order(session, order_id)
    assert placed.status == "paid" and placed.channel == Channel.AFFILIATE and placed.creator_id is None
    rate = session.scalar(select(OrderLine.commission_rate_bp).where(OrderLine.order_id == order_id))
    assert rate == 0
    _complete(session, sale.shop_id, order_id)
    assert ledger.balance(session, K.COMMISSION_PAYABLE, creator.user_id) == 0
    fee = fulfilment.platform_fee(session, order_id)
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 10000 - fee


def test_a_buyer_naming_themselves_earns_nothing(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    from tests.factories.orders import Buyer
    from tests.factories.shops import principal_of

    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 2000)
    me = make_creator(session, "自己带自己")
    from tests.factories.addresses import make_address

    buyer = Buyer(
        me.user_id, me.headers, make_address(session, me.user_id).id, principal_of(session, me.user_id)
    )
    session.commit()
    order_id = place_paid(client, app, db, session, sale, by_creator(me), buyer=buyer, showcased=False)
    assert _order(session, order_id).creator_id is None


def test_a_showcased_product_credits_the_creator(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 2000)
    creator = make_creator(session)
    order_id = place_paid(client, app, db, session, sale, by_creator(creator))  # showcased first
    assert _order(session, order_id).creator_id == creator.user_id
    _complete(session, sale.shop_id, order_id)
    assert ledger.balance(session, K.COMMISSION_PAYABLE, creator.user_id) == 2000


def test_a_creators_live_cart_credits_them_while_live(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 1000)
    anchor = creator_anchor(session)
    out = live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="达人专场"))
    live.start_by_key(session, anchor.stream_key)
    live.add_to_cart(session, anchor.principal, out.id, sale.product_id)
    session.commit()
    claimed = Attribution(channel=Channel.LIVE, live_session_id=out.id, creator_id=anchor.user_id)
    order_id = place_paid(client, app, db, session, sale, claimed, showcased=False)
    placed = _order(session, order_id)
    assert (placed.creator_id, placed.live_session_id) == (anchor.user_id, out.id)


def test_a_live_session_counts_only_live_and_only_for_shops_on_its_cart(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    air = on_air(session)  # shop A's session, live, A's product on the cart
    other = make_on_sale(session, price_fen=5000)  # shop B
    claimed = Attribution(channel=Channel.LIVE, live_session_id=air.session_id)
    mine = place_paid(client, app, db, session, air.sale, claimed)
    theirs = place_paid(client, app, db, session, other, claimed)
    assert _order(session, mine).live_session_id == air.session_id
    forged = _order(session, theirs)
    assert forged.live_session_id is None and forged.channel == Channel.LIVE  # kept, not refused
    report = [o.id for o in orders.live_session_orders(session, air.session_id)]
    assert report == [mine]  # B's order is not in A's live report
    scheduled = on_air(session, start=False)
    early = place_paid(
        client,
        app,
        db,
        session,
        scheduled.sale,
        Attribution(channel=Channel.LIVE, live_session_id=scheduled.session_id),
    )
    assert _order(session, early).live_session_id is None
    unknown = place_paid(
        client, app, db, session, air.sale, Attribution(channel=Channel.LIVE, live_session_id=2**53)
    )
    assert _order(session, unknown).live_session_id is None

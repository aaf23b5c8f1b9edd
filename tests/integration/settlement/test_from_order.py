"""The spine's last step: an order's money, settled by orders after the return window, withdrawn."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.payments.schemas import IntentOut
from laotie.settlement import service as settlement
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver
from tests.factories.settlement import round_trip, set_account


def test_a_settled_order_can_be_withdrawn(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, price_fen=10_000)
    owner = owner_principal(session, sale.shop_id)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    session.commit()
    assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    order_id = placed.orders[0].id
    fulfilment.ship(session, owner, sale.shop_id, order_id, "中通快递", "ZT1234567890")
    session.commit()
    fulfilment.confirm_receipt(session, buyer.principal, order_id)
    session.commit()
    net = 10_000 - fulfilment.platform_fee(session, order_id)
    page = PageParams(limit=20, offset=0)
    before = settlement.shop_balance(session, owner, sale.shop_id, page)
    assert (before.pending_fen, before.available_fen) == (net, 0)
    with clock.travel(timedelta(days=8)):
        assert fulfilment.settle_due(session) == [order_id]
        session.commit()
    set_account(session, sale.shop_id, owner)
    out = settlement.request_withdrawal(session, owner, sale.shop_id, net, "all-of-it")
    session.commit()
    round_trip(db, client, session)

    after = settlement.shop_balance(session, owner, sale.shop_id, page)
    assert (after.pending_fen, after.available_fen, after.withdrawn_fen) == (0, 0, net)
    lines = [(line.kind, line.account.value, line.amount_fen) for line in reversed(after.statement.items)]
    assert lines == [
        ("order_completed", "shop_pending", net),
        ("order_settled", "shop_available", net),
        ("order_settled", "shop_pending", -net),
        ("withdrawal", "shop_available", -net),
    ]
    assert settlement.get_withdrawal(session, owner, sale.shop_id, out.id).status == "paid"

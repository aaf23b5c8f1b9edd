"""From paid to the shop's available balance, and pay after use, with the books checked each step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment, paylater
from laotie.orders import service as orders
from laotie.orders.models import Order, PayMode
from laotie.payments import service as payments
from laotie.payments.sandbox.psp import set_agreement_outcome
from laotie.shops.models import Shop
from tests.factories.orders import checkout_and_pay, checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import deliver
from tests.factories.shops import principal_of


def _owner(session: Session, shop_id: int) -> Principal:
    shop = session.get(Shop, shop_id)
    assert shop is not None
    return principal_of(session, shop.owner_id)


def _paid_order(client: TestClient, app: FastAPI, db: Database, session: Session, price_fen: int = 10000):  # type: ignore[no-untyped-def]
    buyer = make_buyer(session)
    sale = make_on_sale(session, price_fen=price_fen)
    placed = checkout_and_pay(client, app, db, session, buyer, checkout_body(buyer, (sale, 1)))
    return buyer, sale, placed.orders[0].id


def test_ship_deliver_confirm_and_settle(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer, sale, order_id = _paid_order(client, app, db, session, price_fen=10000)
    owner = _owner(session, sale.shop_id)
    label = fulfilment.shipping_label(session, owner, sale.shop_id, order_id)
    assert label.phone == "13800138000"
    assert [e.order_ref for e in addresses.reveal_log(session, shop_id=sale.shop_id)] == [f"order:{order_id}"]
    fulfilment.ship(session, owner, sale.shop_id, order_id, "中通快递", "ZT1234567890")
    session.commit()
    with pytest.raises(AppError) as caught:  # shipping twice
        fulfilment.ship(session, owner, sale.shop_id, order_id, "中通快递", "ZT1234567890")
    assert caught.value.code == "INVALID_ORDER_STATE"
    session.rollback()
    with clock.travel(timedelta(days=5)):  # the sandbox carrier delivers within 1-4 days of pick-up
        assert fulfilment.deliver_shipped(session) == [order_id]
        session.commit()
    fulfilment.confirm_receipt(session, buyer.principal, order_id)
    session.commit()
    fee = fulfilment.platform_fee(session, order_id)
    assert fee > 0
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 10000 - fee
    assert ledger.balance(session, K.PLATFORM_FEE_REVENUE) + ledger.balance(session, K.GROWTH_FUND) == fee
    assert fulfilment.settle_due(session) == []  # still inside the return window
    with clock.travel(timedelta(days=12, hours=1)):  # delivered (seen) at +5 days, window 7 days
        assert fulfilment.settle_due(session) == [order_id]
        session.commit()
        assert fulfilment.settle_due(session) == []
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 0
    assert ledger.balance(session, K.SHOP_AVAILABLE, sale.shop_id) == 10000 - fee
    assert ledger.check(session).ok


def test_delivered_orders_confirm_themselves(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer, sale, order_id = _paid_order(client, app, db, session)
    fulfilment.ship(session, _owner(session, sale.shop_id), sale.shop_id, order_id, "顺丰速运", "SF100200300")
    session.commit()
    with clock.travel(timedelta(days=5)):
        assert fulfilment.deliver_shipped(session) == [order_id]
        session.commit()
    with clock.travel(timedelta(days=15, hours=1)):
        assert fulfilment.auto_confirm(session) == [order_id]
        session.commit()
    assert orders.buyer_order(session, buyer.principal, order_id).status == "completed"


def _eligible_buyer(session: Session):  # type: ignore[no-untyped-def]
    buyer = make_buyer(session)
    payments.sign_agreement(session, buyer.user_id)
    session.commit()
    return buyer


def test_pay_later_needs_history(session: Session) -> None:
    buyer = _eligible_buyer(session)
    sale = make_on_sale(session)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"pay_mode": PayMode.PAY_LATER})
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, body, key())
    assert caught.value.code == "PAY_LATER_NOT_ELIGIBLE" and "30" in caught.value.message("zh")


@pytest.mark.parametrize("outcome", ["ok", "decline"])
def test_pay_after_use_ships_first_and_charges_after_receipt(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    outcome: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paylater, "ineligibility", lambda *a, **k: None)  # history rules are tested above
    buyer = _eligible_buyer(session)
    set_agreement_outcome(session, str(buyer.user_id), outcome)
    sale = make_on_sale(session, price_fen=8800)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"pay_mode": PayMode.PAY_LATER})
    placed = orders.checkout(session, buyer.principal, body, key())
    session.commit()
    order_id = placed.orders[0].id
    assert placed.orders[0].status == "paid"  # confirmed without money: it ships first
    owner = _owner(session, sale.shop_id)
    fulfilment.ship(session, owner, sale.shop_id, order_id, "圆通速递", "YT998877")
    session.commit()
    assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 8800
    for attempt in range(3):
        if attempt == 0:
            fulfilment.confirm_receipt(session, buyer.principal, order_id)
        else:
            with clock.travel(timedelta(hours=attempt + 1)):
                assert paylater.retry_due(session) == [order_id]
        session.commit()
        deliver(db, client)
        app.state.outbox_worker.run_until_idle()
        session.rollback()
        if outcome == "ok":
            break
    state = session.get(Order, order_id)
    assert state is not None
    fee = fulfilment.platform_fee(session, order_id)
    assert ledger.balance(session, K.SHOP_PENDING, sale.shop_id) == 8800 - fee  # the shop is paid either way
    if outcome == "ok":
        assert state.charge_state == "charged"
        assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 0
    else:
        assert state.charge_state == "collections" and state.charge_attempts == 3
        assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 8800  # the platform carries the debt
        monkeypatch.undo()
        with clock.travel(timedelta(days=31)):  # old enough, one completed order: only the debt blocks
            assert "欠款" in (paylater.ineligibility(session, buyer.user_id, [sale.sku_id]) or "")

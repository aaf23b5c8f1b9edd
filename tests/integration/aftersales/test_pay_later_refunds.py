"""Pay after use (先用后付): refund what was charged, cancel what was not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.core import clock
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment, paylater
from laotie.orders import service as orders
from laotie.orders.models import PayMode
from laotie.payments import service as payments
from tests.factories.aftersales import Bought, open_case, photo, psp_cash
from tests.factories.catalog import owner_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import deliver


def _pay_later_order(session: Session, price_fen: int, quantity: int = 1) -> Bought:
    buyer = make_buyer(session)
    payments.sign_agreement(session, buyer.user_id)
    sale = make_on_sale(session, price_fen=price_fen)
    body = checkout_body(buyer, (sale, quantity)).model_copy(update={"pay_mode": PayMode.PAY_LATER})
    placed = orders.checkout(session, buyer.principal, body, key())
    session.commit()
    return Bought(buyer, sale, placed.orders[0].id, owner_principal(session, sale.shop_id), quantity)


@pytest.fixture(autouse=True)
def _eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paylater, "ineligibility", lambda *a, **k: None)  # history rules are tested in orders


def test_unshipped_pay_later_refund_moves_no_money(session: Session) -> None:
    bought = _pay_later_order(session, 5000)
    case = open_case(session, bought, CaseKind.REFUND_ONLY, CaseReason.CHANGED_MIND)
    assert case.status == "refunded" and case.refunded_fen == 5000
    assert orders.refundable_order(session, bought.order_id).status == "closed"
    assert ledger.transactions_for(session, "order", bought.order_id) == []


def test_uncharged_part_is_cancelled_and_the_charge_is_for_the_rest(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = _pay_later_order(session, 4000, quantity=2)
    fulfilment.ship(session, bought.owner, bought.sale.shop_id, bought.order_id, "圆通速递", "YT998877")
    session.commit()
    assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 8000
    with clock.travel(timedelta(days=1)):
        case = open_case(
            session,
            bought,
            CaseKind.REFUND_ONLY,
            CaseReason.DAMAGED,
            quantity=1,
            evidence_ids=[photo(session, app.state.storage, bought.buyer)],
        )
        aftersales.approve(session, bought.owner, case.id)
        session.commit()
    assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 4000  # the buyer now owes only the rest
    with clock.travel(timedelta(days=2)):
        fulfilment.confirm_receipt(session, bought.buyer.principal, bought.order_id)
        session.commit()
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    charged = payments.intents_for(session, "order", bought.order_id)
    assert [i.amount_fen for i in charged] == [4000] and charged[0].status == "succeeded"
    assert ledger.balance(session, K.PAY_LATER_RECEIVABLE) == 0
    fee = ledger.balance(session, K.PLATFORM_FEE_REVENUE) + ledger.balance(session, K.GROWTH_FUND)
    assert ledger.balance(session, K.SHOP_PENDING, bought.sale.shop_id) + fee == 4000
    # After the charge, a refund goes back through the provider from clearing.
    cash = psp_cash(session)
    with clock.travel(timedelta(days=3)):
        second = open_case(
            session,
            bought,
            CaseKind.REFUND_ONLY,
            CaseReason.QUALITY,
            evidence_ids=[photo(session, app.state.storage, bought.buyer)],
        )
        aftersales.approve(session, bought.owner, second.id)
        session.commit()
    assert psp_cash(session) == cash - 4000
    assert orders.refundable_order(session, bought.order_id).status == "closed"
    assert ledger.balance(session, K.SHOP_PENDING, bought.sale.shop_id) == 0

"""七天无理由 and fault returns: window, exempt lines, the 48-hour rules, who pays return shipping,
and exact reversals whether the money is in clearing, pending or already settled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.aftersales.schemas import ShipBackIn
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from tests.factories.aftersales import (
    completed,
    delivered,
    exempt_category,
    open_case,
    order_net,
    paid_order,
    psp_cash,
    row_counts,
    ship,
)
from tests.factories.catalog import make_listed_product
from tests.factories.orders import OnSale, make_on_sale

RET = CaseKind.RETURN


def _ship_back(session: Session, buyer, case_id: int, fen: int = 0):  # type: ignore[no-untyped-def]
    out = aftersales.ship_back(
        session,
        buyer.principal,
        case_id,
        ShipBackIn(carrier="圆通速递", tracking_no="YT998877", shipping_fen=fen),
    )
    session.commit()
    return out


def test_no_reason_return_auto_approved_then_auto_refunded(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=8800, quantity=2)
    delivered(session, bought)  # at +49 h
    with clock.travel(timedelta(days=3)):
        case = open_case(session, bought, RET, CaseReason.NO_REASON, quantity=1)
        assert case.status == "requested" and case.amount_fen == 8800
        assert aftersales.run_timeouts(session)["approved"] == []
    with clock.travel(timedelta(days=5, hours=1)):  # 48 h of merchant silence
        assert aftersales.run_timeouts(session)["approved"] == [case.id]
        session.commit()
        _ship_back(session, bought.buyer, case.id, fen=1200)
    with clock.travel(timedelta(days=6)):
        aftersales.receive(session, bought.owner, case.id)
        session.commit()
    cash = psp_cash(session)
    with clock.travel(timedelta(days=8, hours=1)):  # the merchant sat on the refund for 48 h
        assert aftersales.run_timeouts(session)["refunded"] == [case.id]
        session.commit()
    out = aftersales.get_case(session, bought.buyer.principal, case.id)
    assert out.status == "refunded" and out.refunded_fen == 8800
    assert out.shipping_comp_fen == 0  # no-reason: the buyer pays the return shipping
    assert psp_cash(session) == cash - 8800
    kinds = [e.kind for e in out.events]
    assert kinds == ["opened", "auto_approved", "shipped_back", "received", "restocked", "auto_refunded"]
    # The rest of the order can still complete; completion takes the refund back out of its legs.
    with clock.travel(timedelta(days=9)):
        fulfilment.confirm_receipt(session, bought.buyer.principal, bought.order_id)
        session.commit()
    net = order_net(session, bought.order_id)
    shop_pending = -net[(K.SHOP_PENDING, bought.sale.shop_id)]
    fee = -(net.get((K.PLATFORM_FEE_REVENUE, None), 0) + net.get((K.GROWTH_FUND, None), 0))
    assert shop_pending + fee == 8800
    assert ledger.balance(session, K.PLATFORM_CLEARING) == 0  # nothing of the order is left in clearing


def test_quality_return_after_settlement_reverses_available_and_pays_shipping(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=20000)
    completed(session, bought)
    with clock.travel(timedelta(days=10)):
        assert fulfilment.settle_due(session) == [bought.order_id]
        session.commit()
    available = ledger.balance(session, K.SHOP_AVAILABLE, bought.sale.shop_id)
    assert ledger.balance(session, K.SHOP_PENDING, bought.sale.shop_id) == 0
    with clock.travel(timedelta(days=11)):
        case = open_case(session, bought, RET, CaseReason.QUALITY)
        aftersales.approve(session, bought.owner, case.id)
        _ship_back(session, bought.buyer, case.id, fen=99999)  # capped at return_shipping_cap_fen
        aftersales.receive(session, bought.owner, case.id)
        out = aftersales.refund_received(session, bought.owner, case.id)
        session.commit()
    assert out.refunded_fen == 20000 and out.shipping_comp_fen == 3000
    # Everything the order booked is undone: the shop gives back its share and the return shipping.
    assert ledger.balance(session, K.SHOP_AVAILABLE, bought.sale.shop_id) == available - available - 3000
    # The compensation was owed to the buyer and, in the same step, booked out to be paid to them.
    assert ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 0
    assert ledger.net_for(session, "aftersales_case", case.id) == {
        (K.SHOP_AVAILABLE, bought.sale.shop_id): 3000,
        (K.BUYER_CREDIT, bought.buyer.user_id): -3000,
    }
    assert (
        ledger.balance(session, K.PLATFORM_FEE_REVENUE) == 0 and ledger.balance(session, K.GROWTH_FUND) == 0
    )
    assert {k: v for k, v in order_net(session, bought.order_id).items() if k[0] != K.PSP_CASH} == {}
    assert orders.buyer_order(session, bought.buyer.principal, bought.order_id).status == "closed"


def test_return_window_and_exempt_lines_and_strangers(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session)
    with pytest.raises(AppError) as caught:  # not delivered yet
        open_case(session, bought, RET, CaseReason.NO_REASON)
    assert caught.value.code == "AFTERSALES_ORDER_NOT_ELIGIBLE"
    session.rollback()
    delivered(session, bought)
    before = row_counts(session)
    with clock.travel(timedelta(days=9, hours=2)):  # delivered at +49 h: the window ended at +7 days 49 h
        with pytest.raises(AppError) as caught:
            open_case(session, bought, RET, CaseReason.NO_REASON)
        assert caught.value.code == "RETURN_WINDOW_CLOSED"
        session.rollback()
        assert open_case(session, bought, RET, CaseReason.QUALITY).status == "requested"  # 15 days
    assert row_counts(session)["aftersales_case"] == before.get("aftersales_case", 0) + 1
    # Someone else's order looks like it does not exist.
    other = paid_order(client, app, db, session)
    stranger = other.__class__(other.buyer, bought.sale, bought.order_id, other.owner, 1)
    with pytest.raises(AppError) as caught:
        open_case(session, stranger, RET, CaseReason.QUALITY)
    assert caught.value.code == "ORDER_NOT_FOUND"
    session.rollback()


def test_exempt_category_confirmed_at_checkout_refuses_no_reason(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    category_id = exempt_category(session)
    product = make_listed_product(session, sale.shop_id, category_id=category_id, price_fen=3000)
    fresh = OnSale(sale.shop_id, sale.owner_headers, product.id, product.skus[0].id, 3000)
    bought = paid_order(client, app, db, session, sale=fresh)
    assert orders.refundable_order(session, bought.order_id).lines[0].return_exempt
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        with pytest.raises(AppError) as caught:
            open_case(session, bought, RET, CaseReason.NO_REASON)
        assert caught.value.code == "RETURN_EXEMPT"
        session.rollback()
        assert open_case(session, bought, RET, CaseReason.QUALITY).amount_fen == 3000


def test_merchant_rejects_buyer_escalates(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session)
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        case = open_case(session, bought, RET, CaseReason.NO_REASON)
        with pytest.raises(AppError) as caught:  # only the buyer ships back, only after approval
            aftersales.ship_back(
                session, bought.buyer.principal, case.id, ShipBackIn(carrier="x", tracking_no="YT1234")
            )
        assert caught.value.code == "AFTERSALES_INVALID_STATE"
        session.rollback()
        with pytest.raises(AppError) as caught:  # the buyer cannot approve their own case
            aftersales.approve(session, bought.buyer.principal, case.id)
        assert caught.value.code == "AFTERSALES_CASE_NOT_FOUND"
        session.rollback()
        aftersales.reject(session, bought.owner, case.id, "商品已使用")
        out = aftersales.escalate(session, bought.buyer.principal, case.id, "商品未使用")
        session.commit()
    assert out.status == "disputed" and out.escalated_by == "buyer"
    assert aftersales.run_timeouts(session) == {"approved": [], "refunded": [], "received": []}
    ship  # noqa: B018 (imported for other tests' symmetry)

"""七天保价 on claim: the catalog's price history is the evidence; the buyer gets the difference on
what was actually paid, once per drop; a later return deducts it; the order's books stay exact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from tests.factories.aftersales import delivered, open_case, paid_order, psp_cash, row_counts

PP = CaseKind.PRICE_PROTECTION


def _drop(session: Session, bought, price_fen: int, reason: str = "降价") -> None:  # type: ignore[no-untyped-def]
    catalog.set_sku_price(session, bought.owner, bought.sale.sku_id, price_fen, reason)
    session.commit()


def test_claim_pays_the_difference_then_a_deeper_drop_then_a_return_deducts_it(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=10000, quantity=3)
    before = row_counts(session)
    with pytest.raises(AppError) as caught:  # no drop yet
        open_case(session, bought, PP, CaseReason.PRICE_DROP)
    assert caught.value.code == "PRICE_PROTECTION_NO_DROP"
    session.rollback()
    assert row_counts(session) == before
    with clock.travel(timedelta(days=1)):
        _drop(session, bought, 9000, "双11活动价")
        cash = psp_cash(session)
        first = open_case(session, bought, PP, CaseReason.PRICE_DROP)
    assert first.status == "refunded" and first.refunded_fen == 3000  # 3 × (100 − 90) yuan
    assert psp_cash(session) == cash - 3000
    opened = first.events[0]
    assert opened.data["price_evidence"][0]["lowest_price_fen"] == 9000
    assert opened.data["price_evidence"][0]["reason"] == "双11活动价"
    with clock.travel(timedelta(days=2)):
        with pytest.raises(AppError) as caught:  # the same drop is not paid twice
            open_case(session, bought, PP, CaseReason.PRICE_DROP)
        assert caught.value.code == "PRICE_PROTECTION_NO_DROP"
        session.rollback()
        _drop(session, bought, 8500)
        second = open_case(session, bought, PP, CaseReason.PRICE_DROP)
    assert second.refunded_fen == 1500  # only the further 5 yuan per unit
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 4500
    # A later return of one unit gives back what is left paid on it: 85 yuan, not 100.
    delivered(session, bought)
    with clock.travel(timedelta(days=4)):
        ret = open_case(session, bought, CaseKind.RETURN, CaseReason.NO_REASON, quantity=1)
    assert ret.amount_fen == 8500
    # Returning the other two gives back exactly the rest of what was paid.
    with clock.travel(timedelta(days=4, hours=1)):
        aftersales.cancel(session, bought.buyer.principal, ret.id)
        rest = open_case(session, bought, CaseKind.RETURN, CaseReason.NO_REASON)
    assert rest.amount_fen == 30000 - 4500


def test_drops_after_seven_days_do_not_count_and_claims_expire(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=10000)
    with clock.travel(timedelta(days=8)):
        _drop(session, bought, 5000)
        with pytest.raises(AppError) as caught:
            open_case(session, bought, PP, CaseReason.PRICE_DROP)
        assert caught.value.code == "PRICE_PROTECTION_EXPIRED"
        session.rollback()


def test_protection_before_completion_is_taken_out_of_the_completion(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=10000)
    _drop(session, bought, 7000)
    assert open_case(session, bought, PP, CaseReason.PRICE_DROP).refunded_fen == 3000
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        fulfilment.confirm_receipt(session, bought.buyer.principal, bought.order_id)
        session.commit()
    fee = ledger.balance(session, K.PLATFORM_FEE_REVENUE) + ledger.balance(session, K.GROWTH_FUND)
    assert ledger.balance(session, K.SHOP_PENDING, bought.sale.shop_id) + fee == 7000
    assert ledger.balance(session, K.PLATFORM_CLEARING) == 0
    with clock.travel(timedelta(days=12)):
        assert fulfilment.settle_due(session) == [bought.order_id]
        session.commit()
    assert ledger.balance(session, K.SHOP_PENDING, bought.sale.shop_id) == 0
    assert ledger.balance(session, K.SHOP_AVAILABLE, bought.sale.shop_id) + fee == 7000


def test_a_campaign_price_after_purchase_counts_as_a_drop(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    from laotie.promotions import service as promotions
    from laotie.promotions.schemas import CampaignIn, EnrolIn
    from tests.factories.catalog import reviewer_principal

    bought = paid_order(client, app, db, session, price_fen=10000, quantity=2)
    with clock.travel(timedelta(days=1)):
        now = clock.now()
        staff = reviewer_principal(session)
        campaign = promotions.create_campaign(
            session,
            staff,
            CampaignIn(name="116大促", starts_at=now, ends_at=now + timedelta(days=3), auto_approve=False),
        )
        item = promotions.enrol(
            session,
            bought.owner,
            bought.sale.shop_id,
            EnrolIn(campaign_id=campaign.id, sku_id=bought.sale.sku_id, campaign_price_fen=8800),
        )
        promotions.decide(session, staff, campaign.id, item.id, True)
        session.commit()
    with clock.travel(timedelta(days=2)):
        case = open_case(session, bought, PP, CaseReason.PRICE_DROP)
    assert case.status == "refunded" and case.refunded_fen == 2400  # 2 × (100 − 88) yuan
    evidence = case.events[0].data["price_evidence"][0]
    assert evidence["lowest_price_fen"] == 8800 and evidence["campaign_id"] == campaign.id
    assert evidence["reason"] == "活动价：116大促"

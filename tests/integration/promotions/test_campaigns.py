"""Campaigns (双11): merchants enrol SKUs, staff approve (or the campaign auto-approves), the campaign
price applies inside the window only and is announced as a price drop; shops issue coupons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.orders import service as orders
from laotie.promotions import service as promotions
from laotie.promotions.schemas import CampaignIn, EnrolIn, IssueIn, PlatformMultiBuyIn, TierIn
from tests.factories.catalog import owner_principal, reviewer_principal
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.promotions import shop_coupon


def _campaign(session: Session, auto: bool = False, days: int = 3):  # type: ignore[no-untyped-def]
    now = clock.now()
    out = promotions.create_campaign(
        session,
        reviewer_principal(session),
        CampaignIn(
            name="双11",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=days),
            auto_approve=auto,
        ),
    )
    session.commit()
    return out


def test_enrol_approve_and_the_price_applies_in_the_window(session: Session) -> None:
    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    campaign = _campaign(session)
    owner = owner_principal(session, sale.shop_id)
    item = promotions.enrol(
        session,
        owner,
        sale.shop_id,
        EnrolIn(campaign_id=campaign.id, sku_id=sale.sku_id, campaign_price_fen=7900),
    )
    session.commit()
    assert item.status == "pending"
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
    assert placed.orders[0].payable_fen == 10000  # not approved yet
    session.rollback()
    decided = promotions.decide(session, reviewer_principal(session), campaign.id, item.id, True)
    session.commit()
    assert decided.status == "approved"
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "CampaignPriceApproved")).one()
    assert event.payload["sku_id"] == sale.sku_id and event.payload["new_price_fen"] == 7900
    assert event.payload["old_price_fen"] == 10000
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 2)), key())
    session.commit()
    order = orders.buyer_order(session, buyer.principal, placed.orders[0].id)
    assert order.payable_fen == 15800 and order.subsidy_fen == 0  # the merchant funds its campaign price
    assert order.lines[0].discounts[0]["kind"] == "campaign"
    with clock.travel(timedelta(days=4)):  # after the window: list price again
        later = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
        assert later.orders[0].payable_fen == 10000
        session.rollback()
    with pytest.raises(AppError) as caught:
        promotions.decide(session, reviewer_principal(session), campaign.id, item.id, False)
    assert caught.value.code == "INVALID_PROMOTION"


def test_auto_approve_platform_multibuy_and_bad_enrolments(session: Session) -> None:
    sale = make_on_sale(session, price_fen=5000)
    other = make_on_sale(session, price_fen=5000)
    buyer = make_buyer(session)
    campaign = _campaign(session, auto=True)
    owner = owner_principal(session, sale.shop_id)
    item = promotions.enrol(
        session,
        owner,
        sale.shop_id,
        EnrolIn(campaign_id=campaign.id, sku_id=sale.sku_id, campaign_price_fen=4500),
    )
    assert item.status == "approved"
    now = clock.now()
    promotions.create_platform_multibuy(
        session,
        reviewer_principal(session),
        PlatformMultiBuyIn(
            name="双11 跨件补贴",
            shop_id=sale.shop_id,
            campaign_id=campaign.id,
            tiers=[TierIn(pieces=2, percent_off_bp=1000)],
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        ),
    )
    session.commit()
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 2)), key())
    session.commit()
    order = orders.buyer_order(session, buyer.principal, placed.orders[0].id)
    # 2 x 45 = 90, then 10% platform-funded multi-buy = 9
    assert order.payable_fen == 8100 and order.subsidy_fen == 900
    for body, reason in (
        (EnrolIn(campaign_id=campaign.id, sku_id=other.sku_id, campaign_price_fen=4000), "不属于本店"),
        (EnrolIn(campaign_id=campaign.id, sku_id=sale.sku_id, campaign_price_fen=4000), "已报名"),
    ):
        with pytest.raises(AppError) as caught:
            promotions.enrol(session, owner, sale.shop_id, body)
        assert caught.value.code == "INVALID_PROMOTION" and reason in caught.value.message("zh")
        session.rollback()
    campaign2 = _campaign(session)
    with pytest.raises(AppError) as caught:
        promotions.enrol(
            session,
            owner,
            sale.shop_id,
            EnrolIn(campaign_id=campaign2.id, sku_id=sale.sku_id, campaign_price_fen=6000),
        )
    assert "低于当前售价" in caught.value.message("zh")


def test_a_shop_issues_its_coupon_to_buyers(session: Session) -> None:
    sale = make_on_sale(session)
    fans = [make_buyer(session) for _ in range(3)]
    coupon = shop_coupon(session, sale.shop_id, cut_fen=500, total=2)
    owner = owner_principal(session, sale.shop_id)
    with pytest.raises(AppError) as caught:
        promotions.issue(
            session, owner, sale.shop_id, IssueIn(coupon_id=coupon.id, buyer_ids=[f.user_id for f in fans])
        )
    assert caught.value.code == "COUPON_SOLD_OUT"
    session.rollback()
    issued = promotions.issue(
        session, owner, sale.shop_id, IssueIn(coupon_id=coupon.id, buyer_ids=[fans[0].user_id])
    )
    session.commit()
    assert issued[0].source == "issued"
    assert [c.id for c in promotions.my_coupons(session, fans[0].user_id)] == [issued[0].id]
    stranger = make_on_sale(session)
    with pytest.raises(AppError) as caught:
        promotions.issue(
            session,
            owner_principal(session, stranger.shop_id),
            stranger.shop_id,
            IssueIn(coupon_id=coupon.id, buyer_ids=[fans[1].user_id]),
        )
    assert caught.value.code == "COUPON_NOT_FOUND"

"""Rows to answers, and small reads the pages need beside them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.promotions.models import (
    Budget,
    BuyerCoupon,
    Campaign,
    CampaignItem,
    Coupon,
    MultiBuy,
    NewBuyerDeal,
    Subsidy,
)
from laotie.promotions.schemas import (
    BudgetOut,
    CampaignItemOut,
    CampaignOut,
    CouponOut,
    DealOut,
    MultiBuyOut,
    SubsidyOut,
)


def coupon_out(c: Coupon) -> CouponOut:
    return CouponOut(
        id=c.id,
        shop_id=c.shop_id,
        funded_by=c.funded_by,
        name=c.name,
        threshold_fen=c.threshold_fen,
        cut_fen=c.cut_fen,
        percent_off_bp=c.percent_off_bp,
        cap_fen=c.cap_fen,
        per_buyer_limit=c.per_buyer_limit,
        total_quantity=c.total_quantity,
        issued_count=c.issued_count,
        used_count=c.used_count,
        claimable=c.claimable,
        budget_id=c.budget_id,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
    )


def multibuy_out(m: MultiBuy) -> MultiBuyOut:
    return MultiBuyOut(
        id=m.id,
        shop_id=m.shop_id,
        campaign_id=m.campaign_id,
        name=m.name,
        funded_by=m.funded_by,
        tiers=[list(t) for t in m.tiers],
        product_ids=m.product_ids,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        active=m.active,
    )


def campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        id=c.id, name=c.name, starts_at=c.starts_at, ends_at=c.ends_at, auto_approve=c.auto_approve
    )


def campaign_item_out(i: CampaignItem) -> CampaignItemOut:
    return CampaignItemOut(
        id=i.id,
        campaign_id=i.campaign_id,
        shop_id=i.shop_id,
        product_id=i.product_id,
        sku_id=i.sku_id,
        list_price_fen=i.list_price_fen,
        campaign_price_fen=i.campaign_price_fen,
        status=i.status,
    )


def subsidy_out(s: Subsidy) -> SubsidyOut:
    return SubsidyOut(
        id=s.id,
        sku_id=s.sku_id,
        shop_id=s.shop_id,
        label=s.label,
        per_unit_fen=s.per_unit_fen,
        budget_id=s.budget_id,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
    )


def deal_out(d: NewBuyerDeal) -> DealOut:
    return DealOut(
        id=d.id,
        sku_id=d.sku_id,
        shop_id=d.shop_id,
        price_fen=d.price_fen,
        budget_id=d.budget_id,
        starts_at=d.starts_at,
        ends_at=d.ends_at,
    )


def budget_out(b: Budget) -> BudgetOut:
    return BudgetOut(id=b.id, name=b.name, budget_fen=b.budget_fen, spent_fen=b.spent_fen)


def held_counts(session: Session, buyer_id: int, coupon_ids: Iterable[int]) -> dict[int, int]:
    """How many copies of each coupon the buyer holds (used ones too: they count toward the per-buyer
    limit, as in claiming). Coupons the buyer holds none of are absent."""
    wanted = sorted(set(coupon_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(BuyerCoupon.coupon_id, func.count())
        .where(BuyerCoupon.buyer_id == buyer_id, BuyerCoupon.coupon_id.in_(wanted))
        .group_by(BuyerCoupon.coupon_id)
    ).all()
    return {int(coupon_id): int(n) for coupon_id, n in rows}

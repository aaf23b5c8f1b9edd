"""Creating promotions: merchants' coupons, multi-buys and campaign enrolments; staff's campaigns,
platform coupons, subsidies and 一元购 deals (each platform one with its own budget)."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.events import emit
from laotie.core.transitions import move
from laotie.events.promotions import CampaignPriceApproved
from laotie.promotions import errors
from laotie.promotions.models import (
    ENROLMENT_TRANSITIONS,
    Budget,
    Campaign,
    CampaignItem,
    Coupon,
    EnrolmentStatus,
    MultiBuy,
    NewBuyerDeal,
    Subsidy,
)
from laotie.promotions.schemas import (
    BudgetOut,
    CampaignIn,
    CampaignItemOut,
    CampaignOut,
    CouponIn,
    CouponOut,
    DealIn,
    DealOut,
    EnrolIn,
    MultiBuyIn,
    MultiBuyOut,
    PlatformCouponIn,
    PlatformMultiBuyIn,
    SubsidyIn,
    SubsidyOut,
)
from laotie.promotions.views import (
    budget_out,
    campaign_item_out,
    campaign_out,
    coupon_out,
    deal_out,
    multibuy_out,
    subsidy_out,
)
from laotie.shops import service as shops


def _budget(session: Session, name: str, amount: int) -> Budget:
    row = Budget(name=name[:60], budget_fen=amount, spent_fen=0, created_at=clock.now())
    session.add(row)
    session.flush()
    return row


def _coupon(
    session: Session, body: CouponIn, shop_id: int | None, by: Principal, budget_id: int | None
) -> Coupon:
    row = Coupon(
        shop_id=shop_id,
        funded_by="shop" if shop_id is not None else "platform",
        name=body.name,
        threshold_fen=body.threshold_fen,
        cut_fen=body.cut_fen,
        percent_off_bp=body.percent_off_bp,
        cap_fen=body.cap_fen,
        per_buyer_limit=body.per_buyer_limit,
        total_quantity=body.total_quantity,
        issued_count=0,
        used_count=0,
        claimable=body.claimable,
        budget_id=budget_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        active=True,
        created_by=by.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def create_shop_coupon(session: Session, principal: Principal, shop_id: int, body: CouponIn) -> CouponOut:
    shops.require_shop_member(session, shop_id, principal)
    return coupon_out(_coupon(session, body, shop_id, principal, None))


def create_platform_coupon(session: Session, principal: Principal, body: PlatformCouponIn) -> CouponOut:
    budget = _budget(session, f"平台券 {body.name}", body.budget_fen)
    return coupon_out(_coupon(session, body, None, principal, budget.id))


def shop_coupons(session: Session, principal: Principal, shop_id: int) -> list[CouponOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(
        select(Coupon).where(Coupon.shop_id == shop_id).order_by(Coupon.id.desc()).limit(200)
    )
    return [coupon_out(c) for c in rows]


def _check_products(session: Session, shop_id: int, product_ids: list[int] | None) -> None:
    for product_id in product_ids or []:
        try:
            product = catalog.get_listed(session, product_id) if 0 < product_id <= 2**53 else None
        except AppError:
            product = None
        if product is None or product.shop_id != shop_id:
            raise errors.INVALID_PROMOTION(reason=f"商品 {product_id} 不属于本店")


def _multibuy(session: Session, body: MultiBuyIn, shop_id: int, funded_by: str, by: Principal) -> MultiBuyOut:
    pieces = [t.pieces for t in body.tiers]
    if len(set(pieces)) != len(pieces):
        raise errors.INVALID_PROMOTION(reason="每档件数不能重复")
    ordered = sorted(body.tiers, key=lambda t: t.pieces)
    if any(b.percent_off_bp < a.percent_off_bp for a, b in itertools.pairwise(ordered)):
        raise errors.INVALID_PROMOTION(reason="件数越多折扣应越大")
    if body.campaign_id is not None and session.get(Campaign, body.campaign_id) is None:
        raise errors.CAMPAIGN_NOT_FOUND(campaign_id=body.campaign_id)
    _check_products(session, shop_id, body.product_ids)
    row = MultiBuy(
        shop_id=shop_id,
        campaign_id=body.campaign_id,
        name=body.name,
        funded_by=funded_by,
        tiers=[[t.pieces, t.percent_off_bp] for t in ordered],
        product_ids=sorted(set(body.product_ids)) if body.product_ids else None,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        active=True,
        created_by=by.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return multibuy_out(row)


def create_shop_multibuy(
    session: Session, principal: Principal, shop_id: int, body: MultiBuyIn
) -> MultiBuyOut:
    shops.require_shop_member(session, shop_id, principal)
    return _multibuy(session, body, shop_id, "shop", principal)


def create_platform_multibuy(session: Session, principal: Principal, body: PlatformMultiBuyIn) -> MultiBuyOut:
    """A multi-buy the platform pays for, inside a campaign."""
    shops.get_shop(session, body.shop_id)
    return _multibuy(session, body, body.shop_id, "platform", principal)


def shop_multibuys(session: Session, principal: Principal, shop_id: int) -> list[MultiBuyOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(
        select(MultiBuy).where(MultiBuy.shop_id == shop_id).order_by(MultiBuy.id.desc()).limit(200)
    )
    return [multibuy_out(m) for m in rows]


def create_campaign(session: Session, principal: Principal, body: CampaignIn) -> CampaignOut:
    row = Campaign(
        name=body.name,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        auto_approve=body.auto_approve,
        created_by=principal.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return campaign_out(row)


def campaigns(session: Session) -> list[CampaignOut]:
    rows = session.scalars(select(Campaign).order_by(Campaign.starts_at.desc()).limit(100))
    return [campaign_out(c) for c in rows]


def _sku(session: Session, sku_id: int) -> tuple[int, int, int]:
    found = catalog.skus_for_sale(session, [sku_id]).get(sku_id)
    if found is None:
        raise errors.INVALID_PROMOTION(reason=f"SKU {sku_id} 不存在")
    return found.shop_id, found.product_id, found.price_fen


def _price_event(session: Session, item: CampaignItem, campaign: Campaign) -> None:
    """Announce an approved campaign price (a price drop buyers will see)."""
    emit(
        session,
        CampaignPriceApproved(
            campaign_id=campaign.id,
            campaign_item_id=item.id,
            sku_id=item.sku_id,
            product_id=item.product_id,
            shop_id=item.shop_id,
            old_price_fen=item.list_price_fen,
            new_price_fen=item.campaign_price_fen,
            starts_at=campaign.starts_at.isoformat(),
            ends_at=campaign.ends_at.isoformat(),
        ),
    )


def enrol(session: Session, principal: Principal, shop_id: int, body: EnrolIn) -> CampaignItemOut:
    shops.require_shop_member(session, shop_id, principal)
    campaign = session.get(Campaign, body.campaign_id)
    if campaign is None:
        raise errors.CAMPAIGN_NOT_FOUND(campaign_id=body.campaign_id)
    sku_shop, product_id, price = _sku(session, body.sku_id)
    if sku_shop != shop_id:
        raise errors.INVALID_PROMOTION(reason=f"SKU {body.sku_id} 不属于本店")
    if body.campaign_price_fen >= price:
        raise errors.INVALID_PROMOTION(reason="活动价必须低于当前售价")
    if session.scalar(
        select(CampaignItem.id).where(
            CampaignItem.campaign_id == campaign.id, CampaignItem.sku_id == body.sku_id
        )
    ):
        raise errors.INVALID_PROMOTION(reason="该SKU已报名此活动")
    item = CampaignItem(
        campaign_id=campaign.id,
        shop_id=shop_id,
        product_id=product_id,
        sku_id=body.sku_id,
        list_price_fen=price,
        campaign_price_fen=body.campaign_price_fen,
        status=EnrolmentStatus.APPROVED if campaign.auto_approve else EnrolmentStatus.PENDING,
        enrolled_by=principal.user_id,
        decided_by=None,
        created_at=clock.now(),
    )
    session.add(item)
    session.flush()
    if item.status == EnrolmentStatus.APPROVED:
        _price_event(session, item, campaign)
    return campaign_item_out(item)


def shop_enrolments(session: Session, principal: Principal, shop_id: int) -> list[CampaignItemOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(
        select(CampaignItem)
        .where(CampaignItem.shop_id == shop_id)
        .order_by(CampaignItem.id.desc())
        .limit(200)
    )
    return [campaign_item_out(i) for i in rows]


def campaign_items(session: Session, campaign_id: int) -> list[CampaignItemOut]:
    if session.get(Campaign, campaign_id) is None:
        raise errors.CAMPAIGN_NOT_FOUND(campaign_id=campaign_id)
    rows = session.scalars(
        select(CampaignItem)
        .where(CampaignItem.campaign_id == campaign_id)
        .order_by(CampaignItem.id)
        .limit(500)
    )
    return [campaign_item_out(i) for i in rows]


def decide(
    session: Session, principal: Principal, campaign_id: int, item_id: int, approve: bool
) -> CampaignItemOut:
    item = session.get(CampaignItem, item_id)
    if item is None or item.campaign_id != campaign_id:
        raise errors.CAMPAIGN_ITEM_NOT_FOUND(item_id=item_id)

    def refuse(before: str, to: EnrolmentStatus) -> Exception:
        return errors.INVALID_PROMOTION(reason=f"报名已处理（{before}）")

    def decided(before: str, to: EnrolmentStatus) -> None:
        item.decided_by = principal.user_id

    to = EnrolmentStatus.APPROVED if approve else EnrolmentStatus.REJECTED
    move(item, to, ENROLMENT_TRANSITIONS, refuse=refuse, trail=decided)
    session.flush()
    if approve:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        _price_event(session, item, campaign)
    return campaign_item_out(item)


def create_subsidy(session: Session, principal: Principal, body: SubsidyIn) -> SubsidyOut:
    shop_id, _, price = _sku(session, body.sku_id)
    if body.per_unit_fen >= price:
        raise errors.INVALID_PROMOTION(reason="补贴金额必须低于售价")
    if body.campaign_id is not None and session.get(Campaign, body.campaign_id) is None:
        raise errors.CAMPAIGN_NOT_FOUND(campaign_id=body.campaign_id)
    budget = _budget(session, f"{body.label} SKU {body.sku_id}", body.budget_fen)
    row = Subsidy(
        sku_id=body.sku_id,
        shop_id=shop_id,
        label=body.label,
        per_unit_fen=body.per_unit_fen,
        budget_id=budget.id,
        campaign_id=body.campaign_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        active=True,
        created_by=principal.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return subsidy_out(row)


def create_deal(session: Session, principal: Principal, body: DealIn) -> DealOut:
    shop_id, _, price = _sku(session, body.sku_id)
    if body.price_fen >= price:
        raise errors.INVALID_PROMOTION(reason="一元购价格必须低于售价")
    budget_id = _budget(session, f"一元购 SKU {body.sku_id}", body.budget_fen).id if body.budget_fen else None
    row = NewBuyerDeal(
        sku_id=body.sku_id,
        shop_id=shop_id,
        price_fen=body.price_fen,
        budget_id=budget_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        active=True,
        created_by=principal.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return deal_out(row)


def budgets(session: Session) -> list[BudgetOut]:
    return [budget_out(b) for b in session.scalars(select(Budget).order_by(Budget.id.desc()).limit(200))]


def budget(session: Session, budget_id: int) -> BudgetOut:
    row = session.get(Budget, budget_id)
    if row is None:
        raise errors.PROMOTION_NOT_FOUND(budget_id=budget_id)
    return budget_out(row)

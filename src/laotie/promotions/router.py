"""Promotions over HTTP: merchants' coupons, multi-buys and campaign enrolments; buyers' wallet;
platform staff's campaigns, platform coupons, subsidies, 一元购 deals and budgets."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.promotions import service
from laotie.promotions.schemas import (
    BudgetOut,
    BuyerCouponOut,
    CampaignIn,
    CampaignItemOut,
    CampaignOut,
    CouponIn,
    CouponOut,
    DealIn,
    DealOut,
    DecisionIn,
    EnrolIn,
    IssueIn,
    MultiBuyIn,
    MultiBuyOut,
    PlatformCouponIn,
    PlatformMultiBuyIn,
    ProductPromotionsOut,
    SubsidyIn,
    SubsidyOut,
)

router = APIRouter(prefix="/api/v1", tags=["promotions"])
staff_router = APIRouter(prefix="/api/v1/admin/promotions", tags=["promotions"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)


# Merchants (shop members): shop-funded promotions.


@router.get("/shops/{shop_id}/coupons", response_model=list[CouponOut])
def shop_coupons(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> list[CouponOut]:
    return service.shop_coupons(session, principal, shop_id)


@router.post("/shops/{shop_id}/coupons", response_model=CouponOut, status_code=201)
def create_shop_coupon(
    session: DbSession, shop_id: PathId, body: CouponIn, principal: Principal = AnyUser
) -> CouponOut:
    """店铺券: 满减 (threshold cut) or a percentage off with an optional cap; shop-funded."""
    return service.create_shop_coupon(session, principal, shop_id, body)


@router.post("/shops/{shop_id}/coupons/issue", response_model=list[BuyerCouponOut], status_code=201)
def issue_coupon(
    session: DbSession, shop_id: PathId, body: IssueIn, principal: Principal = AnyUser
) -> list[BuyerCouponOut]:
    return service.issue(session, principal, shop_id, body)


@router.get("/shops/{shop_id}/multibuys", response_model=list[MultiBuyOut])
def shop_multibuys(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> list[MultiBuyOut]:
    return service.shop_multibuys(session, principal, shop_id)


@router.post("/shops/{shop_id}/multibuys", response_model=MultiBuyOut, status_code=201)
def create_shop_multibuy(
    session: DbSession, shop_id: PathId, body: MultiBuyIn, principal: Principal = AnyUser
) -> MultiBuyOut:
    """多件多折: tiers by pieces over the shop's products (or the ones listed); shop-funded."""
    return service.create_shop_multibuy(session, principal, shop_id, body)


@router.get("/shops/{shop_id}/campaign-enrolments", response_model=list[CampaignItemOut])
def shop_enrolments(
    session: DbSession, shop_id: PathId, principal: Principal = AnyUser
) -> list[CampaignItemOut]:
    return service.shop_enrolments(session, principal, shop_id)


@router.post("/shops/{shop_id}/campaign-enrolments", response_model=CampaignItemOut, status_code=201)
def enrol(
    session: DbSession, shop_id: PathId, body: EnrolIn, principal: Principal = AnyUser
) -> CampaignItemOut:
    """Enrol a SKU in a campaign at a lower price; staff approve it unless the campaign auto-approves."""
    return service.enrol(session, principal, shop_id, body)


# Buyers: the wallet.


@router.get("/me/coupons", response_model=list[BuyerCouponOut])
def my_coupons(
    session: DbSession, status: Literal["available", "used"] | None = None, buyer: Principal = AnyUser
) -> list[BuyerCouponOut]:
    return service.my_coupons(session, buyer.user_id, status)


@router.post("/coupons/{coupon_id}/claim", response_model=BuyerCouponOut, status_code=201)
def claim_coupon(session: DbSession, coupon_id: PathId, buyer: Principal = AnyUser) -> BuyerCouponOut:
    return service.claim(session, buyer, coupon_id)


@router.get("/coupons", response_model=list[CouponOut])
def claimable_coupons(
    session: DbSession, shop_id: int | None = None, _: Principal | None = PublicAccess
) -> list[CouponOut]:
    """Coupons anyone may claim now: a shop's (``shop_id``) or, without it, the platform's."""
    if shop_id is not None and not 1 <= shop_id <= 2**53:
        return []
    return service.claimable(session, shop_id)


@router.get("/products/{product_id}/promotions", response_model=ProductPromotionsOut)
def product_promotions(
    session: DbSession, product_id: PathId, _: Principal | None = PublicAccess
) -> ProductPromotionsOut:
    return service.product_promotions(session, product_id)


@router.get("/campaigns", response_model=list[CampaignOut])
def campaigns(session: DbSession, _: Principal | None = PublicAccess) -> list[CampaignOut]:
    return service.campaigns(session)


# Platform staff: platform-funded promotions, each with a budget that is never overspent.


@staff_router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(session: DbSession, body: CampaignIn, staff: Principal = Staff) -> CampaignOut:
    return service.create_campaign(session, staff, body)


@staff_router.get("/campaigns/{campaign_id}/items", response_model=list[CampaignItemOut])
def campaign_items(session: DbSession, campaign_id: PathId, _: Principal = Staff) -> list[CampaignItemOut]:
    return service.campaign_items(session, campaign_id)


@staff_router.post("/campaigns/{campaign_id}/items/{item_id}/decision", response_model=CampaignItemOut)
def decide(
    session: DbSession, campaign_id: PathId, item_id: PathId, body: DecisionIn, staff: Principal = Staff
) -> CampaignItemOut:
    return service.decide(session, staff, campaign_id, item_id, body.approve)


@staff_router.post("/coupons", response_model=CouponOut, status_code=201)
def create_platform_coupon(session: DbSession, body: PlatformCouponIn, staff: Principal = Staff) -> CouponOut:
    return service.create_platform_coupon(session, staff, body)


@staff_router.post("/multibuys", response_model=MultiBuyOut, status_code=201)
def create_platform_multibuy(
    session: DbSession, body: PlatformMultiBuyIn, staff: Principal = Staff
) -> MultiBuyOut:
    return service.create_platform_multibuy(session, staff, body)


@staff_router.post("/subsidies", response_model=SubsidyOut, status_code=201)
def create_subsidy(session: DbSession, body: SubsidyIn, staff: Principal = Staff) -> SubsidyOut:
    return service.create_subsidy(session, staff, body)


@staff_router.post("/deals", response_model=DealOut, status_code=201)
def create_deal(session: DbSession, body: DealIn, staff: Principal = Staff) -> DealOut:
    return service.create_deal(session, staff, body)


@staff_router.get("/budgets", response_model=list[BudgetOut])
def budgets(session: DbSession, _: Principal = Staff) -> list[BudgetOut]:
    return service.budgets(session)

"""Promotions over HTTP: merchants' coupons, multi-buys and campaign enrolments; buyers' wallet;
platform staff's campaigns, platform coupons, subsidies, 一元购 deals and budgets."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import PathId, get_session
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
def shop_coupons(
    shop_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> list[CouponOut]:
    return service.shop_coupons(session, principal, shop_id)


@router.post("/shops/{shop_id}/coupons", response_model=CouponOut, status_code=201)
def create_shop_coupon(
    shop_id: PathId, body: CouponIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> CouponOut:
    """店铺券: 满减 (threshold cut) or a percentage off with an optional cap; shop-funded."""
    out = service.create_shop_coupon(session, principal, shop_id, body)
    session.commit()
    return out


@router.post("/shops/{shop_id}/coupons/issue", response_model=list[BuyerCouponOut], status_code=201)
def issue_coupon(
    shop_id: PathId, body: IssueIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> list[BuyerCouponOut]:
    out = service.issue(session, principal, shop_id, body)
    session.commit()
    return out


@router.get("/shops/{shop_id}/multibuys", response_model=list[MultiBuyOut])
def shop_multibuys(
    shop_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> list[MultiBuyOut]:
    return service.shop_multibuys(session, principal, shop_id)


@router.post("/shops/{shop_id}/multibuys", response_model=MultiBuyOut, status_code=201)
def create_shop_multibuy(
    shop_id: PathId, body: MultiBuyIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> MultiBuyOut:
    """多件多折: tiers by pieces over the shop's products (or the ones listed); shop-funded."""
    out = service.create_shop_multibuy(session, principal, shop_id, body)
    session.commit()
    return out


@router.get("/shops/{shop_id}/campaign-enrolments", response_model=list[CampaignItemOut])
def shop_enrolments(
    shop_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> list[CampaignItemOut]:
    return service.shop_enrolments(session, principal, shop_id)


@router.post("/shops/{shop_id}/campaign-enrolments", response_model=CampaignItemOut, status_code=201)
def enrol(
    shop_id: PathId, body: EnrolIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> CampaignItemOut:
    """Enrol a SKU in a campaign at a lower price; staff approve it unless the campaign auto-approves."""
    out = service.enrol(session, principal, shop_id, body)
    session.commit()
    return out


# Buyers: the wallet.


@router.get("/me/coupons", response_model=list[BuyerCouponOut])
def my_coupons(
    status: Literal["available", "used"] | None = None,
    buyer: Principal = AnyUser,
    session: Session = Depends(get_session),
) -> list[BuyerCouponOut]:
    return service.my_coupons(session, buyer.user_id, status)


@router.post("/coupons/{coupon_id}/claim", response_model=BuyerCouponOut, status_code=201)
def claim_coupon(
    coupon_id: PathId, buyer: Principal = AnyUser, session: Session = Depends(get_session)
) -> BuyerCouponOut:
    out = service.claim(session, buyer, coupon_id)
    session.commit()
    return out


@router.get("/coupons", response_model=list[CouponOut])
def claimable_coupons(
    shop_id: int | None = None, _: Principal | None = PublicAccess, session: Session = Depends(get_session)
) -> list[CouponOut]:
    """Coupons anyone may claim now: a shop's (``shop_id``) or, without it, the platform's."""
    if shop_id is not None and not 1 <= shop_id <= 2**53:
        return []
    return service.claimable(session, shop_id)


@router.get("/products/{product_id}/promotions", response_model=ProductPromotionsOut)
def product_promotions(
    product_id: PathId, _: Principal | None = PublicAccess, session: Session = Depends(get_session)
) -> ProductPromotionsOut:
    return service.product_promotions(session, product_id)


@router.get("/campaigns", response_model=list[CampaignOut])
def campaigns(
    _: Principal | None = PublicAccess, session: Session = Depends(get_session)
) -> list[CampaignOut]:
    return service.campaigns(session)


# Platform staff: platform-funded promotions, each with a budget that is never overspent.


@staff_router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(
    body: CampaignIn, staff: Principal = Staff, session: Session = Depends(get_session)
) -> CampaignOut:
    out = service.create_campaign(session, staff, body)
    session.commit()
    return out


@staff_router.get("/campaigns/{campaign_id}/items", response_model=list[CampaignItemOut])
def campaign_items(
    campaign_id: PathId, _: Principal = Staff, session: Session = Depends(get_session)
) -> list[CampaignItemOut]:
    return service.campaign_items(session, campaign_id)


@staff_router.post("/campaigns/{campaign_id}/items/{item_id}/decision", response_model=CampaignItemOut)
def decide(
    campaign_id: PathId,
    item_id: PathId,
    body: DecisionIn,
    staff: Principal = Staff,
    session: Session = Depends(get_session),
) -> CampaignItemOut:
    out = service.decide(session, staff, campaign_id, item_id, body.approve)
    session.commit()
    return out


@staff_router.post("/coupons", response_model=CouponOut, status_code=201)
def create_platform_coupon(
    body: PlatformCouponIn, staff: Principal = Staff, session: Session = Depends(get_session)
) -> CouponOut:
    out = service.create_platform_coupon(session, staff, body)
    session.commit()
    return out


@staff_router.post("/multibuys", response_model=MultiBuyOut, status_code=201)
def create_platform_multibuy(
    body: PlatformMultiBuyIn, staff: Principal = Staff, session: Session = Depends(get_session)
) -> MultiBuyOut:
    out = service.create_platform_multibuy(session, staff, body)
    session.commit()
    return out


@staff_router.post("/subsidies", response_model=SubsidyOut, status_code=201)
def create_subsidy(
    body: SubsidyIn, staff: Principal = Staff, session: Session = Depends(get_session)
) -> SubsidyOut:
    out = service.create_subsidy(session, staff, body)
    session.commit()
    return out


@staff_router.post("/deals", response_model=DealOut, status_code=201)
def create_deal(body: DealIn, staff: Principal = Staff, session: Session = Depends(get_session)) -> DealOut:
    out = service.create_deal(session, staff, body)
    session.commit()
    return out


@staff_router.get("/budgets", response_model=list[BudgetOut])
def budgets(_: Principal = Staff, session: Session = Depends(get_session)) -> list[BudgetOut]:
    return service.budgets(session)

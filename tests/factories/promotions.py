"""Promotions for tests, made through the real promotions service (staff and shop owners)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.promotions import service as promotions
from laotie.promotions.schemas import (
    BuyerCouponOut,
    CouponIn,
    CouponOut,
    DealIn,
    DealOut,
    MultiBuyIn,
    MultiBuyOut,
    PlatformCouponIn,
    SubsidyIn,
    SubsidyOut,
    TierIn,
)
from tests.factories.catalog import owner_principal, reviewer_principal


def window(days: int = 30) -> tuple[datetime, datetime]:
    now = clock.now()
    return now - timedelta(hours=1), now + timedelta(days=days)


def shop_coupon(
    session: Session,
    shop_id: int,
    threshold_fen: int = 0,
    cut_fen: int = 0,
    percent_off_bp: int = 0,
    cap_fen: int | None = None,
    total: int = 100,
    per_buyer: int = 1,
    days: int = 30,
) -> CouponOut:
    start, end = window(days)
    body = CouponIn(
        name="测试店铺券",
        kind="percent" if percent_off_bp else "threshold_cut",
        threshold_fen=threshold_fen,
        cut_fen=cut_fen,
        percent_off_bp=percent_off_bp,
        cap_fen=cap_fen,
        per_buyer_limit=per_buyer,
        total_quantity=total,
        valid_from=start,
        valid_until=end,
    )
    out = promotions.create_shop_coupon(session, owner_principal(session, shop_id), shop_id, body)
    session.commit()
    return out


def platform_coupon(
    session: Session, threshold_fen: int, cut_fen: int, budget_fen: int, total: int = 1000, per_buyer: int = 1
) -> CouponOut:
    start, end = window()
    body = PlatformCouponIn(
        name="平台券",
        threshold_fen=threshold_fen,
        cut_fen=cut_fen,
        per_buyer_limit=per_buyer,
        total_quantity=total,
        valid_from=start,
        valid_until=end,
        budget_fen=budget_fen,
    )
    out = promotions.create_platform_coupon(session, reviewer_principal(session), body)
    session.commit()
    return out


def claim(session: Session, buyer: Principal, coupon_id: int) -> BuyerCouponOut:
    out = promotions.claim(session, buyer, coupon_id)
    session.commit()
    return out


def subsidy(session: Session, sku_id: int, per_unit_fen: int, budget_fen: int) -> SubsidyOut:
    start, end = window()
    body = SubsidyIn(
        sku_id=sku_id, per_unit_fen=per_unit_fen, budget_fen=budget_fen, starts_at=start, ends_at=end
    )
    out = promotions.create_subsidy(session, reviewer_principal(session), body)
    session.commit()
    return out


def multibuy(
    session: Session, shop_id: int, tiers: list[tuple[int, int]], product_ids: list[int] | None = None
) -> MultiBuyOut:
    start, end = window()
    body = MultiBuyIn(
        name="多件多折",
        tiers=[TierIn(pieces=p, percent_off_bp=b) for p, b in tiers],
        product_ids=product_ids,
        starts_at=start,
        ends_at=end,
    )
    out = promotions.create_shop_multibuy(session, owner_principal(session, shop_id), shop_id, body)
    session.commit()
    return out


def deal(session: Session, sku_id: int, price_fen: int = 100) -> DealOut:
    start, end = window()
    out = promotions.create_deal(
        session,
        reviewer_principal(session),
        DealIn(sku_id=sku_id, price_fen=price_fen, starts_at=start, ends_at=end),
    )
    session.commit()
    return out

"""Promotions' public face: what orders call to price and claim, and the set-up and wallet use cases.

Orders price a checkout in three calls, inside the placement transaction:
``load_book`` (once per batch) -> ``price_cart`` (per checkout) -> ``reserve`` (claims budgets,
coupons and the 一元购, or refuses with a stable code) -> ``record_uses`` (once the orders exist).
Cancelling an order calls nothing here: ``events`` listens to ``OrderCancelled`` and releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductDetail
from laotie.core import clock
from laotie.core.money import yuan_short
from laotie.promotions import claims, display, errors
from laotie.promotions.claims import Reservation, record_uses, release, reserve
from laotie.promotions.coupon_choice import CouponChoices, Unusable, best_combination, coupon_choices
from laotie.promotions.models import Campaign, CampaignItem, EnrolmentStatus, Subsidy
from laotie.promotions.offers import OfferBook, chosen_coupons, deal_blocked, load_book, offers_for
from laotie.promotions.pricing import DEAL, Breakdown, CartLine, price
from laotie.promotions.schemas import CouponOut, ProductPromotionsOut
from laotie.promotions.setup import (
    budget,
    budgets,
    campaign_items,
    campaigns,
    create_campaign,
    create_deal,
    create_platform_coupon,
    create_platform_multibuy,
    create_shop_coupon,
    create_shop_multibuy,
    create_subsidy,
    decide,
    enrol,
    shop_coupons,
    shop_enrolments,
    shop_multibuys,
)
from laotie.promotions.views import held_counts
from laotie.promotions.wallet import claim, claimable, issue, my_coupons

__all__ = [
    "DEAL",
    "Breakdown",
    "CartLine",
    "CouponChoices",
    "OfferBook",
    "Reservation",
    "Unusable",
    "best_combination",
    "budget",
    "budget_held",
    "budgets",
    "campaign_items",
    "campaigns",
    "claim",
    "claimable",
    "coupon_choices",
    "create_campaign",
    "create_deal",
    "create_platform_coupon",
    "create_platform_multibuy",
    "create_shop_coupon",
    "create_shop_multibuy",
    "create_subsidy",
    "decide",
    "enrol",
    "held_counts",
    "issue",
    "load_book",
    "my_coupons",
    "price_cart",
    "product_promotions",
    "record_uses",
    "release",
    "release_budget_share",
    "release_for_order",
    "reserve",
    "shop_coupons",
    "shop_enrolments",
    "shop_multibuys",
    "subsidised_skus",
]


def price_cart(
    session: Session,
    book: OfferBook,
    buyer_id: int,
    cart: list[CartLine],
    coupon_ids: list[int],
    address: Mapping[str, Any] | None,
    first_order: bool,
    now: datetime,
    quote: bool = False,
) -> Breakdown:
    """Price one buyer's cart. Chosen coupons are checked (theirs, unused, valid, one per funder, and
    reaching their threshold) and refused with a stable code. A 一元购 applies on a first order; a
    quote leaves it out when the address or phone already had one, a checkout lets ``reserve``
    refuse it (NEW_BUYER_DEAL_REFUSED) so the buyer is told rather than charged full price."""
    if not coupon_ids and not book.any():
        return price(cart, offers_for(book, [], False))
    coupons = chosen_coupons(session, buyer_id, coupon_ids, {line.shop_id for line in cart}, now)
    deal_ok = first_order and bool(book.deals)
    if deal_ok and quote and address is not None and any(line.sku_id in book.deals for line in cart):
        deal_ok = not deal_blocked(session, address)
    priced = price(cart, offers_for(book, coupons, deal_ok))
    if priced.unused_coupons:
        unused = next(c for c in coupons if c.buyer_coupon_id == priced.unused_coupons[0])
        if unused.budget_left_fen is not None and unused.budget_left_fen < max(unused.cut_fen, 1):
            raise errors.SUBSIDY_BUDGET_EXHAUSTED(budget_id=unused.budget_id)
        raise errors.COUPON_THRESHOLD_NOT_MET(
            coupon_id=unused.buyer_coupon_id,
            threshold_fen=unused.threshold_fen,
            threshold_yuan=yuan_short(unused.threshold_fen),
        )
    return priced


def release_for_order(session: Session, order_id: int) -> int:
    """Give back the budget, coupons and 一元购 an order holds (a cancel, or a full refund)."""
    return release(session, order_id, clock.now())


def budget_held(session: Session, order_id: int) -> int:
    """Platform budget fen the order still holds (claimed, less what partial refunds gave back)."""
    return claims.budget_held(session, order_id)


def release_budget_share(session: Session, order_id: int, amount_fen: int, idempotency_key: str) -> int:
    """A partial refund reversed ``amount_fen`` of the order's platform-funded part: give it back to
    the budgets pro rata, never more than the order holds, once per key. Returns the fen given back."""
    return claims.release_share(session, order_id, amount_fen, idempotency_key, clock.now())


def product_promotions(session: Session, product_id: int) -> ProductPromotionsOut:
    """What a product page shows: campaign and subsidy prices per SKU, multi-buy tiers, shop coupons."""
    return promotions_of(session, catalog.get_listed(session, product_id))


def promotions_of(
    session: Session, product: ProductDetail, coupons: list[CouponOut] | None = None
) -> ProductPromotionsOut:
    """``product_promotions`` for a product the caller has already read (the product page has).
    ``coupons``: the shop's claimable coupons if the caller already holds them (the product page
    reads them once per shop, not once per product)."""
    return display.product_promotions(
        session,
        product.id,
        product.shop_id,
        [(s.id, s.price_fen) for s in product.skus],
        claimable(session, product.shop_id) if coupons is None else coupons,
        clock.now(),
    )


def campaign_prices(session: Session, sku_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Approved campaign prices of the SKU in force at some moment in (since, until]: for 七天保价,
    where a campaign price counts as a price drop from the moment the campaign (or the window) starts."""
    rows = session.execute(
        select(
            CampaignItem.id, CampaignItem.campaign_price_fen, Campaign.id, Campaign.name, Campaign.starts_at
        )
        .join(Campaign, Campaign.id == CampaignItem.campaign_id)
        .where(
            CampaignItem.sku_id == sku_id,
            CampaignItem.status == EnrolmentStatus.APPROVED,
            Campaign.starts_at <= until,
            Campaign.ends_at > since,
        )
    ).all()
    return [
        {
            "price_fen": price_fen,
            "at": max(starts_at, since),
            "campaign_id": campaign_id,
            "campaign_item_id": item_id,
            "campaign": name,
        }
        for item_id, price_fen, campaign_id, name, starts_at in rows
    ]


def subsidised_skus(session: Session, limit: int = 60) -> list[tuple[int, int, str]]:
    """SKUs under a platform subsidy in force now (百亿补贴), biggest subsidy first:
    (sku id, subsidy per unit in fen, label). The mall's 百亿补贴 shelf reads it."""
    now = clock.now()
    rows = session.execute(
        select(Subsidy.sku_id, Subsidy.per_unit_fen, Subsidy.label)
        .where(Subsidy.active.is_(True), Subsidy.starts_at <= now, Subsidy.ends_at > now)
        .order_by(Subsidy.per_unit_fen.desc(), Subsidy.id)
        .limit(limit)
    ).all()
    return [(sku, fen, label) for sku, fen, label in rows]

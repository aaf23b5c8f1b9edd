"""Reading what applies to a cart: the offers of a batch's SKUs and shops, and a buyer's chosen coupons.

A batch of placements (one checkout, or hundreds in a flash sale) reads its offers in four small
queries whatever its size; with no promotion configured they find nothing and pricing returns the
list prices untouched.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.promotions import errors
from laotie.promotions.models import (
    Budget,
    BuyerCoupon,
    Campaign,
    CampaignItem,
    Coupon,
    MultiBuy,
    NewBuyerClaim,
    NewBuyerDeal,
    Subsidy,
)
from laotie.promotions.pricing import (
    PLATFORM,
    CampaignPrice,
    CouponOffer,
    DealOffer,
    MultiBuyOffer,
    Offers,
    SubsidyOffer,
)


@dataclass
class OfferBook:
    """Everything sku- or shop-wide that applies now, for a batch."""

    campaign: dict[int, CampaignPrice] = field(default_factory=dict)
    subsidy: dict[int, SubsidyOffer] = field(default_factory=dict)
    multibuys: list[MultiBuyOffer] = field(default_factory=list)
    deals: dict[int, DealOffer] = field(default_factory=dict)

    def any(self) -> bool:
        return bool(self.campaign or self.subsidy or self.multibuys or self.deals)


def load_book(session: Session, sku_ids: Iterable[int], shop_ids: Iterable[int], now: datetime) -> OfferBook:
    skus = sorted(set(sku_ids))
    shops = sorted(set(shop_ids))
    book = OfferBook()
    if not skus:
        return book
    rows = session.execute(
        select(
            CampaignItem.id, CampaignItem.campaign_id, CampaignItem.sku_id, CampaignItem.campaign_price_fen
        )
        .join(Campaign, Campaign.id == CampaignItem.campaign_id)
        .where(
            CampaignItem.sku_id.in_(skus),
            CampaignItem.status == "approved",
            Campaign.starts_at <= now,
            Campaign.ends_at > now,
        )
        .order_by(CampaignItem.campaign_price_fen, CampaignItem.id)
    ).all()
    for item_id, campaign_id, sku_id, price_fen in rows:
        book.campaign.setdefault(sku_id, CampaignPrice(item_id, campaign_id, price_fen))
    subsidies = session.execute(
        select(Subsidy, Budget.budget_fen - Budget.spent_fen)
        .join(Budget, Budget.id == Subsidy.budget_id)
        .where(Subsidy.sku_id.in_(skus), Subsidy.active, Subsidy.starts_at <= now, Subsidy.ends_at > now)
        .order_by(Subsidy.per_unit_fen.desc(), Subsidy.id)
    ).all()
    for sub, left in subsidies:
        book.subsidy.setdefault(
            sub.sku_id, SubsidyOffer(sub.id, sub.per_unit_fen, sub.label, sub.budget_id, int(left))
        )
    if shops:
        for mb in session.scalars(
            select(MultiBuy)
            .where(
                MultiBuy.shop_id.in_(shops),
                MultiBuy.active,
                MultiBuy.starts_at <= now,
                MultiBuy.ends_at > now,
            )
            .order_by(MultiBuy.id)
        ):
            book.multibuys.append(multibuy_offer(mb))
    deals = session.execute(
        select(NewBuyerDeal, Budget.budget_fen - Budget.spent_fen)
        .outerjoin(Budget, Budget.id == NewBuyerDeal.budget_id)
        .where(
            NewBuyerDeal.sku_id.in_(skus),
            NewBuyerDeal.active,
            NewBuyerDeal.starts_at <= now,
            NewBuyerDeal.ends_at > now,
        )
        .order_by(NewBuyerDeal.id)
    ).all()
    for deal, left in deals:
        book.deals.setdefault(
            deal.sku_id,
            DealOffer(deal.id, deal.price_fen, deal.budget_id, None if left is None else int(left)),
        )
    return book


def multibuy_offer(mb: MultiBuy) -> MultiBuyOffer:
    return MultiBuyOffer(
        mb.id,
        mb.shop_id,
        mb.funded_by,
        tuple((int(p), int(b)) for p, b in mb.tiers),
        None if mb.product_ids is None else frozenset(mb.product_ids),
        mb.campaign_id,
    )


def chosen_coupons(
    session: Session, buyer_id: int, ids: list[int], shop_ids: set[int], now: datetime
) -> list[CouponOffer]:
    """The buyer's chosen wallet coupons, checked: theirs, unused, valid now, one per funder."""
    if not ids:
        return []
    if len(set(ids)) != len(ids):
        raise errors.COUPON_STACKING()
    rows = session.execute(
        select(BuyerCoupon, Coupon, Budget.budget_fen - Budget.spent_fen)
        .join(Coupon, Coupon.id == BuyerCoupon.coupon_id)
        .outerjoin(Budget, Budget.id == Coupon.budget_id)
        .where(BuyerCoupon.id.in_(sorted(ids)))
    ).all()
    found = {bc.id: (bc, c, left) for bc, c, left in rows}
    offers: list[CouponOffer] = []
    scopes: set[int | None] = set()
    for bc_id in ids:
        if bc_id not in found:
            raise errors.COUPON_NOT_FOUND(coupon_id=bc_id)
        bc, c, left = found[bc_id]
        if bc.buyer_id != buyer_id:
            raise errors.COUPON_NOT_YOURS(coupon_id=bc_id)
        if bc.status != "available":
            raise errors.COUPON_ALREADY_USED(coupon_id=bc_id)
        if not c.active or not (_aware(c.valid_from) <= now < _aware(c.valid_until)):
            raise errors.COUPON_EXPIRED(
                coupon_id=bc_id, valid_from=c.valid_from.isoformat(), valid_until=c.valid_until.isoformat()
            )
        if c.shop_id is not None and c.shop_id not in shop_ids:
            raise errors.COUPON_NOT_APPLICABLE(coupon_id=bc_id)
        if c.shop_id in scopes:
            raise errors.COUPON_STACKING()
        scopes.add(c.shop_id)
        offers.append(coupon_offer(bc.id, c, None if left is None else int(left)))
    return offers


def coupon_offer(buyer_coupon_id: int, c: Coupon, left: int | None) -> CouponOffer:
    return CouponOffer(
        buyer_coupon_id,
        c.id,
        c.shop_id,
        c.funded_by,
        c.threshold_fen,
        c.cut_fen,
        c.percent_off_bp,
        c.cap_fen,
        c.budget_id,
        left,
    )


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


_NOISE = re.compile(r"[\s\-_,，。.、·#()（）\[\]【】]+")


def address_key(address: Mapping[str, Any]) -> str:
    """The same place however it is typed: full-width folded, spaces and punctuation dropped."""
    parts = [
        str(address.get("province_code") or ""),
        str(address.get("city_code") or ""),
        str(address.get("district_code") or ""),
        _NOISE.sub("", unicodedata.normalize("NFKC", str(address.get("detail") or ""))).lower(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    return hashlib.sha256(digits[-11:].encode()).hexdigest()


def deal_blocked(session: Session, address: Mapping[str, Any]) -> bool:
    """Has this address or phone already had a 一元购 (from any account)?"""
    keys = (address_key(address), phone_key(str(address.get("phone") or "")))
    hit = session.scalar(
        select(NewBuyerClaim.id)
        .where((NewBuyerClaim.address_key == keys[0]) | (NewBuyerClaim.phone_key == keys[1]))
        .limit(1)
    )
    return hit is not None


def offers_for(book: OfferBook, coupons: list[CouponOffer], deal_ok: bool) -> Offers:
    return Offers(
        campaign=book.campaign,
        subsidy=book.subsidy,
        multibuys=book.multibuys,
        coupons=coupons,
        deals=book.deals if deal_ok else {},
    )


__all__ = ["PLATFORM", "OfferBook", "chosen_coupons", "deal_blocked", "load_book", "offers_for"]

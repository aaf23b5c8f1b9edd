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

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import Session

from laotie.promotions import errors
from laotie.promotions.models import (
    Budget,
    BuyerCoupon,
    Campaign,
    CampaignItem,
    Coupon,
    CouponStatus,
    EnrolmentStatus,
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


def in_force(offer: type[Subsidy] | type[MultiBuy] | type[NewBuyerDeal], now: Any) -> tuple[Any, ...]:
    """An offer the shop or platform has switched on, between its start and its end: what the
    checkout's offer book and the product page's promotions (``promotions.display``) both read."""
    return (offer.active, offer.starts_at <= now, offer.ends_at > now)


def campaign_price_in_force(now: Any) -> tuple[Any, ...]:
    """An approved campaign price of a campaign under way (the statement joins ``Campaign``)."""
    return (
        CampaignItem.status == EnrolmentStatus.APPROVED,
        Campaign.starts_at <= now,
        Campaign.ends_at > now,
    )


# Built once: the buy path runs these for every placement batch (building a statement costs more CPU
# than SQLite takes to answer it). Core columns keep the ORM's row loading off the path too.
_NOW: BindParameter[datetime] = bindparam("now")
_SKUS: BindParameter[list[int]] = bindparam("skus", expanding=True)
_CAMPAIGN_PRICES = (
    select(CampaignItem.id, CampaignItem.campaign_id, CampaignItem.sku_id, CampaignItem.campaign_price_fen)
    .join(Campaign, Campaign.id == CampaignItem.campaign_id)
    .where(CampaignItem.sku_id.in_(_SKUS), *campaign_price_in_force(_NOW))
    .order_by(CampaignItem.campaign_price_fen, CampaignItem.id)
)
_SUBSIDIES = (
    select(
        Subsidy.id,
        Subsidy.sku_id,
        Subsidy.per_unit_fen,
        Subsidy.label,
        Subsidy.budget_id,
        Budget.budget_fen - Budget.spent_fen,
    )
    .join(Budget, Budget.id == Subsidy.budget_id)
    .where(Subsidy.sku_id.in_(_SKUS), *in_force(Subsidy, _NOW))
    .order_by(Subsidy.per_unit_fen.desc(), Subsidy.id)
)
_MULTIBUYS = (
    select(
        MultiBuy.id,
        MultiBuy.shop_id,
        MultiBuy.funded_by,
        MultiBuy.tiers,
        MultiBuy.product_ids,
        MultiBuy.campaign_id,
    )
    .where(MultiBuy.shop_id.in_(bindparam("shops", expanding=True)), *in_force(MultiBuy, _NOW))
    .order_by(MultiBuy.id)
)
_DEALS = (
    select(
        NewBuyerDeal.id,
        NewBuyerDeal.sku_id,
        NewBuyerDeal.price_fen,
        NewBuyerDeal.budget_id,
        Budget.budget_fen - Budget.spent_fen,
    )
    .outerjoin(Budget, Budget.id == NewBuyerDeal.budget_id)
    .where(NewBuyerDeal.sku_id.in_(_SKUS), *in_force(NewBuyerDeal, _NOW))
    .order_by(NewBuyerDeal.id)
)


def load_book(session: Session, sku_ids: Iterable[int], shop_ids: Iterable[int], now: datetime) -> OfferBook:
    skus = sorted(set(sku_ids))
    shops = sorted(set(shop_ids))
    book = OfferBook()
    if not skus:
        return book
    conn = session.connection()
    for item_id, campaign_id, sku_id, price_fen in conn.execute(_CAMPAIGN_PRICES, {"skus": skus, "now": now}):
        book.campaign.setdefault(sku_id, CampaignPrice(item_id, campaign_id, price_fen))
    for sub_id, sku_id, per_unit, label, budget_id, left in conn.execute(
        _SUBSIDIES, {"skus": skus, "now": now}
    ):
        book.subsidy.setdefault(sku_id, SubsidyOffer(sub_id, per_unit, label, budget_id, int(left)))
    if shops:
        for mb_id, shop_id, funded_by, tiers, product_ids, mb_campaign in conn.execute(
            _MULTIBUYS, {"shops": shops, "now": now}
        ):
            book.multibuys.append(
                MultiBuyOffer(
                    mb_id,
                    shop_id,
                    funded_by,
                    tuple((int(p), int(b)) for p, b in tiers),
                    None if product_ids is None else frozenset(product_ids),
                    mb_campaign,
                )
            )
    for deal_id, deal_sku, deal_price, deal_budget, deal_left in conn.execute(
        _DEALS, {"skus": skus, "now": now}
    ):
        book.deals.setdefault(
            deal_sku,
            DealOffer(deal_id, deal_price, deal_budget, None if deal_left is None else int(deal_left)),
        )
    return book


def chosen_coupons(
    session: Session, buyer_id: int, ids: list[int], shop_ids: set[int], now: datetime
) -> list[CouponOffer]:
    """The buyer's chosen wallet coupons, checked: theirs, unused, valid now, one per funder."""
    if not ids:
        return []
    if len(set(ids)) != len(ids):
        raise errors.COUPON_STACKING()
    found = {row.id: row for row in session.connection().execute(_WALLET, {"ids": sorted(ids)})}
    offers: list[CouponOffer] = []
    scopes: set[int | None] = set()
    for bc_id in ids:
        row = found.get(bc_id)
        if row is None:
            raise errors.COUPON_NOT_FOUND(coupon_id=bc_id)
        if row.buyer_id != buyer_id:
            raise errors.COUPON_NOT_YOURS(coupon_id=bc_id)
        if row.status != CouponStatus.AVAILABLE:
            raise errors.COUPON_ALREADY_USED(coupon_id=bc_id)
        if not row.active or not (_aware(row.valid_from) <= now < _aware(row.valid_until)):
            raise errors.COUPON_EXPIRED(
                coupon_id=bc_id,
                valid_from=row.valid_from.isoformat(),
                valid_until=row.valid_until.isoformat(),
            )
        if row.shop_id is not None and row.shop_id not in shop_ids:
            raise errors.COUPON_NOT_APPLICABLE(coupon_id=bc_id)
        if row.shop_id in scopes:
            raise errors.COUPON_STACKING()
        scopes.add(row.shop_id)
        offers.append(
            CouponOffer(
                row.id,
                row.coupon_id,
                row.shop_id,
                row.funded_by,
                row.threshold_fen,
                row.cut_fen,
                row.percent_off_bp,
                row.cap_fen,
                row.budget_id,
                None if row.left is None else int(row.left),
            )
        )
    return offers


_WALLET = (
    select(
        BuyerCoupon.id,
        BuyerCoupon.buyer_id,
        BuyerCoupon.status,
        Coupon.id.label("coupon_id"),
        Coupon.shop_id,
        Coupon.funded_by,
        Coupon.threshold_fen,
        Coupon.cut_fen,
        Coupon.percent_off_bp,
        Coupon.cap_fen,
        Coupon.budget_id,
        Coupon.active,
        Coupon.valid_from,
        Coupon.valid_until,
        (Budget.budget_fen - Budget.spent_fen).label("left"),
    )
    .join(Coupon, Coupon.id == BuyerCoupon.coupon_id)
    .outerjoin(Budget, Budget.id == Coupon.budget_id)
    .where(BuyerCoupon.id.in_(bindparam("ids", expanding=True)))
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

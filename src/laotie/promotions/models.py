"""Promotions: campaigns, multi-buy, coupons, platform subsidies, the new-buyer deal, and what orders used.

Platform money is capped by a ``Budget``: every reservation is one conditional UPDATE
(``spent_fen + x <= budget_fen``), so concurrent checkouts can never overspend it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime
from laotie.core.transitions import Transitions


class EnrolmentStatus(enum.StrEnum):
    """A SKU's enrolment in a campaign (``promotions_campaign_item.status``)."""

    PENDING = "pending"  # waiting for staff
    APPROVED = "approved"  # sells at the campaign price while the campaign runs
    REJECTED = "rejected"


# Staff decide a pending enrolment once; anything else is refused with INVALID_PROMOTION.
ENROLMENT_TRANSITIONS: Transitions[EnrolmentStatus] = Transitions(
    {
        EnrolmentStatus.PENDING: {EnrolmentStatus.APPROVED, EnrolmentStatus.REJECTED},
        EnrolmentStatus.APPROVED: set(),
        EnrolmentStatus.REJECTED: set(),
    }
)


class CouponStatus(enum.StrEnum):
    """A coupon in a buyer's wallet (``promotions_buyer_coupon.status``): used by an order, and
    available again when that order is cancelled."""

    AVAILABLE = "available"
    USED = "used"


class Budget(Base):
    """Platform money set aside for a subsidy, platform coupon or deal; never overspent."""

    __tablename__ = "promotions_budget"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    """购物节 (116, 双11): a time window with enrolled SKUs at campaign prices."""

    __tablename__ = "promotions_campaign"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignItem(Base):
    """A merchant's SKU enrolled in a campaign at a lower price (pending until staff approve)."""

    __tablename__ = "promotions_campaign_item"
    __table_args__ = (
        UniqueConstraint("campaign_id", "sku_id"),
        Index("ix_promotions_campaign_item_sku_id_status", "sku_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("promotions_campaign.id"))
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    list_price_fen: Mapped[int] = mapped_column(BigInteger)  # the SKU's price when enrolled
    campaign_price_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=EnrolmentStatus.PENDING)
    enrolled_by: Mapped[int] = mapped_column(BigInteger)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MultiBuy(Base):
    """多件多折: tiers by pieces, e.g. [[2, 1000], [3, 2000]] = 2 pieces 10% off, 3 pieces 20% off."""

    __tablename__ = "promotions_multibuy"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("promotions_campaign.id"))
    name: Mapped[str] = mapped_column(String(60))
    funded_by: Mapped[str] = mapped_column(String(10), default="shop")
    tiers: Mapped[list[list[int]]] = mapped_column(JSON)
    product_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None: every product of the shop
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coupon(Base):
    """A coupon template: a shop's (shop-funded) or the platform's (platform-funded, on a budget)."""

    __tablename__ = "promotions_coupon"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None: platform coupon
    funded_by: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    threshold_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cut_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    percent_off_bp: Mapped[int] = mapped_column(Integer, default=0)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=1)
    total_quantity: Mapped[int] = mapped_column(Integer)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    claimable: Mapped[bool] = mapped_column(Boolean, default=True)  # buyers may claim it themselves
    budget_id: Mapped[int | None] = mapped_column(ForeignKey("promotions_budget.id"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BuyerCoupon(Base):
    """One coupon in a buyer's wallet. ``seq`` (1..per-buyer limit) makes the limit a unique key."""

    __tablename__ = "promotions_buyer_coupon"
    __table_args__ = (
        UniqueConstraint("coupon_id", "buyer_id", "seq"),
        Index("ix_promotions_buyer_coupon_buyer_id_status", "buyer_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("promotions_coupon.id"))
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=CouponStatus.AVAILABLE)
    source: Mapped[str] = mapped_column(String(20))  # claimed / issued
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subsidy(Base):
    """百亿补贴 / 大牌大补: the platform pays ``per_unit_fen`` off each piece of a SKU, from a budget."""

    __tablename__ = "promotions_subsidy"
    __table_args__ = (Index("ix_promotions_subsidy_sku_id_active", "sku_id", "active"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(20), default="百亿补贴")
    per_unit_fen: Mapped[int] = mapped_column(BigInteger)
    budget_id: Mapped[int] = mapped_column(ForeignKey("promotions_budget.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("promotions_campaign.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NewBuyerDeal(Base):
    """一元购: one piece of a SKU at ``price_fen`` (100 = ¥1) on a buyer's first order; platform-funded."""

    __tablename__ = "promotions_new_buyer_deal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(BigInteger, index=True)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    price_fen: Mapped[int] = mapped_column(BigInteger, default=100)
    budget_id: Mapped[int | None] = mapped_column(ForeignKey("promotions_budget.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NewBuyerClaim(Base):
    """Who took a 一元购: unique by buyer, by normalised address and by phone, so a second account at
    the same address or phone is refused, atomically (the insert conflicts)."""

    __tablename__ = "promotions_new_buyer_claim"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("promotions_new_buyer_deal.id"))
    buyer_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    address_key: Mapped[str] = mapped_column(String(64), unique=True)
    phone_key: Mapped[str] = mapped_column(String(64), unique=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PromotionUse(Base):
    """What one order consumed (budget fen, a wallet coupon, a deal claim): released exactly once when
    the order is cancelled before payment (or refunded, by after-sales)."""

    __tablename__ = "promotions_use"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # budget / buyer_coupon / deal_claim
    ref_id: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Budget fen already given back by partial refunds (never more than ``amount_fen``); a full
    # release gives back only what is left.
    released_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BudgetRelease(Base):
    """One partial refund's budget give-back, unique by its key: a refund retried, or two runners of
    the same refund, give its share back once."""

    __tablename__ = "promotions_budget_release"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    asked_fen: Mapped[int] = mapped_column(BigInteger)  # the platform-funded part the refund reversed
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what went back to budgets
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # budget id -> fen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""Promotions' public shapes: API bodies and answers, and the pricing dataclasses orders price with."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt
from laotie.promotions.pricing import (
    Breakdown as Breakdown,
)
from laotie.promotions.pricing import (
    CartLine as CartLine,
)
from laotie.promotions.pricing import (
    Discount as Discount,
)
from laotie.promotions.pricing import (
    Offers as Offers,
)
from laotie.promotions.pricing import (
    PricedLine as PricedLine,
)

MAX_FEN = 1_000_000_000
Fen = Field(ge=0, le=MAX_FEN)


class _Window(BaseModel):
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a timezone")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CouponIn(BaseModel):
    name: str = Field(min_length=1, max_length=60, examples=["满199减20"])
    kind: Literal["threshold_cut", "percent"] = "threshold_cut"
    threshold_fen: StrictInt = Fen
    cut_fen: StrictInt = Field(default=0, ge=0, le=MAX_FEN)
    percent_off_bp: StrictInt = Field(default=0, ge=0, le=9000)
    cap_fen: StrictInt | None = Field(default=None, ge=1, le=MAX_FEN)
    per_buyer_limit: StrictInt = Field(default=1, ge=1, le=100)
    total_quantity: StrictInt = Field(ge=1, le=10_000_000)
    claimable: bool = True
    valid_from: datetime
    valid_until: datetime

    @model_validator(mode="after")
    def _consistent(self) -> CouponIn:
        if self.valid_from.tzinfo is None or self.valid_until.tzinfo is None:
            raise ValueError("times need a timezone")
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if self.kind == "threshold_cut" and (self.cut_fen <= 0 or self.percent_off_bp):
            raise ValueError("a threshold cut needs cut_fen > 0 and no percent_off_bp")
        if self.kind == "percent" and (self.percent_off_bp <= 0 or self.cut_fen):
            raise ValueError("a percentage coupon needs percent_off_bp > 0 and no cut_fen")
        return self


class PlatformCouponIn(CouponIn):
    budget_fen: StrictInt = Field(ge=1, le=MAX_FEN * 100)


class CouponOut(BaseModel):
    id: int
    shop_id: int | None
    funded_by: str
    name: str
    threshold_fen: int
    cut_fen: int
    percent_off_bp: int
    cap_fen: int | None
    per_buyer_limit: int
    total_quantity: int
    issued_count: int
    used_count: int
    claimable: bool
    budget_id: int | None
    valid_from: datetime
    valid_until: datetime


class BuyerCouponOut(BaseModel):
    id: int
    coupon: CouponOut
    status: str
    source: str
    claimed_at: datetime
    used_at: datetime | None


class IssueIn(BaseModel):
    coupon_id: Id
    buyer_ids: list[Id] = Field(min_length=1, max_length=100)


class TierIn(BaseModel):
    pieces: StrictInt = Field(ge=2, le=99)
    percent_off_bp: StrictInt = Field(ge=1, le=9000, description="basis points: 1000 = 10% off")


class MultiBuyIn(_Window):
    name: str = Field(min_length=1, max_length=60, examples=["2件9折 3件8折"])
    tiers: list[TierIn] = Field(min_length=1, max_length=5)
    product_ids: list[Id] | None = Field(default=None, max_length=200)
    campaign_id: Id | None = None


class PlatformMultiBuyIn(MultiBuyIn):
    shop_id: Id
    campaign_id: Id  # type: ignore[assignment]


class MultiBuyOut(BaseModel):
    id: int
    shop_id: int
    campaign_id: int | None
    name: str
    funded_by: str
    tiers: list[list[int]]
    product_ids: list[int] | None
    starts_at: datetime
    ends_at: datetime
    active: bool


class CampaignIn(_Window):
    name: str = Field(min_length=1, max_length=60, examples=["双11"])
    auto_approve: bool = False


class CampaignOut(BaseModel):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    auto_approve: bool


class EnrolIn(BaseModel):
    campaign_id: Id
    sku_id: Id
    campaign_price_fen: StrictInt = Field(ge=1, le=MAX_FEN)


class CampaignItemOut(BaseModel):
    id: int
    campaign_id: int
    shop_id: int
    product_id: int
    sku_id: int
    list_price_fen: int
    campaign_price_fen: int
    status: str


class DecisionIn(BaseModel):
    approve: bool


class SubsidyIn(_Window):
    sku_id: Id
    per_unit_fen: StrictInt = Field(ge=1, le=MAX_FEN)
    label: Literal["百亿补贴", "大牌大补"] = "百亿补贴"
    budget_fen: StrictInt = Field(ge=1, le=MAX_FEN * 100)
    campaign_id: Id | None = None


class SubsidyOut(BaseModel):
    id: int
    sku_id: int
    shop_id: int
    label: str
    per_unit_fen: int
    budget_id: int
    starts_at: datetime
    ends_at: datetime


class DealIn(_Window):
    sku_id: Id
    price_fen: StrictInt = Field(default=100, ge=1, le=MAX_FEN)
    budget_fen: StrictInt | None = Field(default=None, ge=1, le=MAX_FEN * 100)


class DealOut(BaseModel):
    id: int
    sku_id: int
    shop_id: int
    price_fen: int
    budget_id: int | None
    starts_at: datetime
    ends_at: datetime


class BudgetOut(BaseModel):
    id: int
    name: str
    budget_fen: int
    spent_fen: int


class DiscountOut(BaseModel):
    kind: str
    promotion_id: int
    funded_by: Literal["shop", "platform"]
    amount_fen: int
    label: str = ""


class QuoteLineOut(BaseModel):
    sku_id: int
    product_id: int
    title: str
    unit_price_fen: int
    quantity: int
    list_fen: int
    discounts: list[DiscountOut]
    discount_fen: int
    final_fen: int


class ShopQuoteOut(BaseModel):
    shop_id: int
    lines: list[QuoteLineOut]
    list_fen: int
    discount_fen: int
    shop_funded_fen: int
    platform_funded_fen: int
    payable_fen: int


class QuoteOut(BaseModel):
    shops: list[ShopQuoteOut]
    list_fen: int
    discount_fen: int
    payable_fen: int
    unused_coupon_ids: list[int]


class SkuPromotionOut(BaseModel):
    sku_id: int
    list_price_fen: int
    campaign_price_fen: int | None
    campaign_name: str | None
    subsidy_fen: int | None
    subsidy_label: str | None
    deal_price_fen: int | None


class ProductPromotionsOut(BaseModel):
    product_id: int
    skus: list[SkuPromotionOut]
    multibuys: list[MultiBuyOut]
    coupons: list[CouponOut]

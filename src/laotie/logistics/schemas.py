"""What the logistics domain takes and returns: templates, quotes, shipments, late shipments."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt

ProvinceCode = str  # six-digit adcode of a province, e.g. "650000" 新疆
MAX_FEE_FEN = 1_000_000  # ¥10,000: no parcel costs more; keeps sums far from overflow
MAX_UNITS = 1_000_000


class ChargeBy(enum.StrEnum):
    PIECE = "piece"  # 按件数
    WEIGHT = "weight"  # 按重量 (grams)


class FeeRule(BaseModel):
    """首件/首重 and 续件/续重: the first ``first_units`` cost ``first_fee_fen``; each further
    ``extra_units`` (or part of it) costs ``extra_fee_fen``. Units are pieces or grams."""

    model_config = ConfigDict(frozen=True)

    first_units: StrictInt = Field(default=1, ge=1, le=MAX_UNITS)
    first_fee_fen: StrictInt = Field(ge=0, le=MAX_FEE_FEN)
    extra_units: StrictInt = Field(default=1, ge=1, le=MAX_UNITS)
    extra_fee_fen: StrictInt = Field(default=0, ge=0, le=MAX_FEE_FEN)


class RegionRule(FeeRule):
    """The fee for a group of provinces, overriding the template's default."""

    provinces: list[ProvinceCode] = Field(min_length=1, max_length=40)


class FreeShippingRule(BaseModel):
    """满X包邮: free when the goods of this template reach ``min_amount_fen`` or ``min_pieces``
    (either is enough), for the provinces listed (none listed: everywhere served)."""

    model_config = ConfigDict(frozen=True)

    provinces: list[ProvinceCode] = Field(default_factory=list, max_length=40)
    min_amount_fen: StrictInt | None = Field(default=None, ge=0, le=10**11)
    min_pieces: StrictInt | None = Field(default=None, ge=1, le=MAX_UNITS)

    @model_validator(mode="after")
    def _one_condition(self) -> FreeShippingRule:
        if self.min_amount_fen is None and self.min_pieces is None:
            raise ValueError("a free-shipping rule needs min_amount_fen or min_pieces")
        return self


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=40, examples=["默认运费模板"])
    charge_by: ChargeBy = ChargeBy.PIECE
    default: FeeRule
    regions: list[RegionRule] = Field(default_factory=list, max_length=40)
    free_rules: list[FreeShippingRule] = Field(default_factory=list, max_length=10)
    excluded: list[ProvinceCode] = Field(default_factory=list, max_length=40)  # 不配送地区


class TemplateOut(TemplateIn):
    id: int
    shop_id: int
    products: int = 0  # how many products use it
    created_at: datetime
    updated_at: datetime


class ProductShippingIn(BaseModel):
    """Which template a product ships under (null: 包邮) and its weight per piece in grams."""

    template_id: Id | None = None
    weight_g: StrictInt = Field(default=0, ge=0, le=MAX_UNITS)


class ProductShippingOut(ProductShippingIn):
    product_id: int
    shop_id: int


class QuoteLine(BaseModel):
    """One product of a shop order, as the quote needs it."""

    model_config = ConfigDict(frozen=True)

    product_id: int
    quantity: int = Field(ge=1)
    unit_price_fen: int = Field(ge=0)


class Quote(BaseModel):
    """The shipping a buyer pays for one shop's goods to one province, and how it is shown."""

    model_config = ConfigDict(frozen=True)

    served: bool = True
    fee_fen: int = 0  # what the buyer pays
    label: str = "包邮"  # 包邮 / 运费 ¥8.00 / 新疆地区集运包邮 / 该地区不配送
    province_code: str
    consolidated: bool = False  # 西北集运: the merchant ships to the hub
    hub_province_code: str | None = None
    platform_leg_fen: int = 0  # hub -> buyer, paid by the platform


class CarrierOut(BaseModel):
    code: str
    name: str
    example: str


class ShipmentStatus(enum.StrEnum):
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"


class TrackingNodeOut(BaseModel):
    at: datetime
    stage: str  # 揽收 / 运输中 / 到达集运仓 / 集运仓发出 / 派送中 / 签收
    city: str
    description: str


class ShipmentOut(BaseModel):
    id: int
    order_id: int
    shop_id: int
    carrier_code: str
    carrier_name: str
    tracking_no: str
    status: ShipmentStatus
    consolidated: bool
    hub_name: str = ""
    platform_leg_fen: int = 0
    platform_leg_booked: bool = False
    shipped_at: datetime
    delivered_at: datetime | None = None
    nodes: list[TrackingNodeOut] = Field(default_factory=list)  # newest first, as apps show it


class LateShipmentOut(BaseModel):
    order_id: int
    shop_id: int
    paid_at: datetime
    due_at: datetime
    shipped_at: datetime | None
    hours_late: int
    recorded_at: datetime


MIN_SHIP_HOURS = 24
MAX_SHIP_HOURS = 15 * 24  # 预售 up to 15 days


class ShippingPolicyIn(BaseModel):
    ship_within_hours: StrictInt = Field(ge=MIN_SHIP_HOURS, le=MAX_SHIP_HOURS, examples=[48])


class ShippingPolicyOut(ShippingPolicyIn):
    shop_id: int
    platform_default: bool  # true when the shop has set nothing and the platform's hours apply

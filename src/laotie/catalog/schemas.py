from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from laotie.catalog.models import ProductStatus
from laotie.core.ids import MAX_ID as MAX_ID  # routers import it from here
from laotie.core.ids import Id
from laotie.core.money import PriceFen
from laotie.core.numbers import StrictInt

# Caps that keep one product's page and its SKU matrix sane (Kuaishou allows a few hundred SKUs).
MAX_SKUS = 600
MAX_IMAGES = 20
MAX_ATTRIBUTES = 3
MAX_STOCK = 10_000_000
MAX_PURCHASE_LIMIT = 9_999
# A hard ceiling on the request itself; anything between MAX_SKUS and this gets TOO_MANY_SKUS.
_SKU_LIST_CEILING = 5_000

# Row ids are 64-bit; a larger number would fail in the database instead of being refused here.


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it as bad input rather than fail on insert.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _text(1, 60), NoNul]
AttrName = Annotated[str, _text(1, 20), NoNul]
AttrValue = Annotated[str, _text(1, 30), NoNul]
Cell = Annotated[str, _text(0, 30), NoNul]
Reason = Annotated[str, _text(0, 500), NoNul]
PriceReason = Annotated[str, _text(0, 200), NoNul]
SkuCode = Annotated[str, _text(0, 64), NoNul]
Description = Annotated[str, StringConstraints(max_length=20_000), NoNul]
Sort = Literal["default", "price_asc", "price_desc", "newest"]


class AttributeIn(BaseModel):
    """One dimension of a product's variants, e.g. 颜色 with 红 and 黑."""

    name: AttrName = Field(examples=["颜色"])
    values: list[AttrValue] = Field(min_length=1, max_length=100, examples=[["红", "黑"]])


class SizeChart(BaseModel):
    columns: list[Cell] = Field(min_length=1, max_length=12, examples=[["尺码", "胸围", "衣长"]])
    rows: list[list[Cell]] = Field(default_factory=list, max_length=60, examples=[[["M", "96", "68"]]])


class SkuIn(BaseModel):
    attrs: dict[AttrName, AttrValue] = Field(default_factory=dict, examples=[{"颜色": "红", "尺码": "M"}])
    price_fen: PriceFen
    original_price_fen: PriceFen | None = Field(default=None, description="划线价; defaults to the price")
    stock: StrictInt = Field(ge=0, le=MAX_STOCK)
    sku_code: SkuCode | None = None


class ProductCreate(BaseModel):
    category_id: Id
    title: Title = Field(examples=["东北黑木耳 250g 秋耳 肉厚无根"])
    description: Description = ""
    size_chart: SizeChart | None = None
    purchase_limit: StrictInt | None = Field(
        default=None, ge=1, le=MAX_PURCHASE_LIMIT, description="per buyer"
    )
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=10)
    skus: list[SkuIn] = Field(min_length=1, max_length=_SKU_LIST_CEILING)


class ProductUpdate(BaseModel):
    """Only the fields sent change; send ``size_chart``/``purchase_limit`` as null to remove them.
    ``skus`` replaces the variant list: SKUs are matched by their attribute values, those left out
    are deactivated. ``attributes`` may only change together with ``skus``."""

    category_id: Id | None = None
    title: Title | None = None
    description: Description | None = None
    size_chart: SizeChart | None = None
    purchase_limit: StrictInt | None = Field(default=None, ge=1, le=MAX_PURCHASE_LIMIT)
    attributes: list[AttributeIn] | None = Field(default=None, max_length=10)
    skus: list[SkuIn] | None = Field(default=None, min_length=1, max_length=_SKU_LIST_CEILING)

    @model_validator(mode="after")
    def _attributes_need_skus(self) -> ProductUpdate:
        if self.attributes is not None and self.skus is None:
            raise ValueError("changing attributes needs the full skus list too")
        return self


class SkuPriceIn(BaseModel):
    price_fen: PriceFen
    original_price_fen: PriceFen | None = None
    reason: PriceReason = ""


class SkuStockIn(BaseModel):
    stock: StrictInt = Field(ge=0, le=MAX_STOCK)


class ReviewDecision(BaseModel):
    reason: Reason = ""


class SkuOut(BaseModel):
    id: int
    attrs: dict[str, str]
    price_fen: int
    original_price_fen: int
    stock: int
    sku_code: str | None
    active: bool


class ImageOut(BaseModel):
    id: int
    position: int
    url: str
    thumb_url: str
    width: int
    height: int
    content_type: str


class PriceChangeOut(BaseModel):
    id: int
    sku_id: int
    old_price_fen: int | None
    new_price_fen: int
    changed_at: datetime
    changed_by: int | None
    reason: str


class ProductEventOut(BaseModel):
    id: int
    actor_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str
    data: dict[str, Any]
    at: datetime


class ProductOut(BaseModel):
    """The merchant's and reviewer's view: every SKU (inactive ones flagged) and the review state."""

    id: int
    shop_id: int
    category_id: int
    title: str
    description: str
    size_chart: dict[str, Any] | None
    status: ProductStatus
    review_reason: str
    purchase_limit: int | None
    attributes: list[dict[str, Any]]
    min_price_fen: int
    original_price_fen: int
    total_stock: int
    sales_count: int
    cover_url: str | None
    skus: list[SkuOut]
    images: list[ImageOut]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    listed_at: datetime | None


class ProductCard(BaseModel):
    """One tile on the buyer shelf."""

    id: int
    title: str
    shop_id: int
    shop_name: str
    min_price_fen: int
    original_price_fen: int = Field(description="original price of the cheapest SKU")
    cover_url: str | None
    sales_count: int


class ShelfPage(BaseModel):
    """A page of the buyer shelf. ``next_cursor`` (absent on the last page) asks for the next page
    by what this one ended on, so products listed meanwhile neither repeat nor skip one."""

    items: list[ProductCard]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None


class ProductDetail(ProductCard):
    category_id: int
    category_path: list[str]
    description: str
    size_chart: dict[str, Any] | None
    attributes: list[dict[str, Any]]
    purchase_limit: int | None
    total_stock: int
    skus: list[SkuOut] = Field(description="active SKUs only")
    images: list[ImageOut]
    listed_at: datetime | None


@dataclass(frozen=True)
class SkuForSale:
    """What placing an order needs to know about a SKU, read in one query for a whole batch."""

    sku_id: int
    product_id: int
    shop_id: int
    category_id: int
    title: str
    attrs: dict[str, str]
    price_fen: int
    stock: int
    purchase_limit: int | None
    sellable: bool  # listed, active, in a shop that is selling


@dataclass(frozen=True)
class ProductFacts:
    """What search indexes of a product, read for many at once (``search_facts``)."""

    product_id: int
    shop_id: int
    shop_name: str
    shop_opened_at: datetime | None
    category_id: int
    title: str
    description: str
    attribute_values: tuple[str, ...]
    min_price_fen: int
    original_price_fen: int
    total_stock: int
    listed_at: datetime | None
    visible: bool  # listed, in a shop that is selling
    cover_url: str | None

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from laotie.catalog.schemas import ProductCard
from laotie.core.ids import Id
from laotie.core.numbers import StrictInt


class OfferIn(BaseModel):
    rate_bp: StrictInt = Field(
        ge=0, le=10_000, description="commission in basis points of the sale (1500 = 15%)"
    )


class OfferOut(BaseModel):
    product_id: int
    shop_id: int
    rate_bp: int
    active: bool
    created_at: datetime
    updated_at: datetime


class OfferChangeOut(BaseModel):
    action: str
    old_rate_bp: int | None
    new_rate_bp: int | None
    actor_id: int | None
    at: datetime


class MarketItem(BaseModel):
    """A product in the alliance market or a showcase, with what a creator earns per cheapest piece."""

    product: ProductCard
    rate_bp: int
    commission_per_piece_fen: int


class ShowcaseIn(BaseModel):
    product_id: Id


class ShowcaseOut(BaseModel):
    creator_id: int
    creator_name: str
    items: list[MarketItem]


class EarningLine(BaseModel):
    order_id: int | None
    state: str = Field(description="pending (inside the return window) or settled")
    amount_fen: int = Field(description="positive when earned, negative when reversed or moved")
    kind: str
    memo: str
    at: datetime


class EarningsOut(BaseModel):
    pending_fen: int = Field(description="inside the return window")
    settled_fen: int = Field(description="settled and not yet withdrawn: what may be withdrawn now")
    in_flight_fen: int = Field(default=0, description="withdrawals on their way to the bank")
    withdrawn_fen: int = Field(default=0, description="paid out to the bank so far")
    min_withdrawal_fen: int = 0
    lines: list[EarningLine]
    total: int
    limit: int
    offset: int

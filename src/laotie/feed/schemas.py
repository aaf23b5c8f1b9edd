"""What the feed and the mall return."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from laotie.search.schemas import ProductHit

Tab = Literal["recommend", "live", "video"]
TAB_LABELS = {"recommend": "推荐", "live": "直播广场", "video": "短视频"}
ItemKind = Literal["product", "live", "video"]


class Reason(BaseModel):
    code: str
    label: str = Field(description="为什么推荐给我, in the buyer's words")


class FeedItem(BaseModel):
    kind: ItemKind
    id: int
    title: str
    subtitle: str = Field(description="shop or anchor name")
    cover_url: str | None
    shop_id: int | None
    price_fen: int | None = None
    original_price_fen: int | None = None
    popularity: int = Field(description="units sold, viewers of a live session, plays of a video")
    free_shipping: bool = False
    pay_later: bool = False
    new_shop: bool = False
    position: int
    score: float
    reasons: list[Reason]


class FeedPage(BaseModel):
    tab: Tab
    policy: str
    items: list[FeedItem]
    limit: int
    offset: int
    has_more: bool


class CampaignShelf(BaseModel):
    id: int
    name: str
    ends_at: datetime
    items: list[ProductHit]


class SubsidyHit(BaseModel):
    product: ProductHit
    subsidy_fen: int
    label: str


class CategoryEntry(BaseModel):
    id: int
    name: str


class MallHome(BaseModel):
    categories: list[CategoryEntry]
    campaigns: list[CampaignShelf]
    subsidies: list[SubsidyHit] = Field(description="百亿补贴")
    new_merchants: list[ProductHit] = Field(description="新商好物: promising new shops first")
    hot: list[ProductHit] = Field(description="热卖")

"""What search, suggestions and hot searches take and return."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from laotie.core.ids import MAX_ID

Sort = Literal["relevance", "sales", "price_asc", "price_desc", "new"]
SORTS: tuple[str, ...] = ("relevance", "sales", "price_asc", "price_desc", "new")
SORT_LABELS = {
    "relevance": "综合",
    "sales": "销量",
    "price_asc": "价格↑",
    "price_desc": "价格↓",
    "new": "新品",
}
ShopBand = Literal["excellent", "good", "fair", "poor"]
BAND_LABELS = {"excellent": "优秀店铺", "good": "良好店铺", "fair": "一般店铺", "poor": "较差店铺"}
ContentKind = Literal["live", "video"]
MAX_PRICE_FEN = 10**11
MAX_OFFSET = 10_000


class Filters(BaseModel):
    """Filters of a product search or shelf page. A price range given upside down is read the
    right way round."""

    category_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    shop_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    price_min_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    price_max_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    free_shipping: bool = False
    pay_later: bool = False
    in_stock: bool = False
    shop_band: ShopBand | None = None
    new_shops_since: datetime | None = Field(default=None, description="only shops opened since (新商)")

    def price_range(self) -> tuple[int | None, int | None]:
        low, high = self.price_min_fen, self.price_max_fen
        if low is not None and high is not None and low > high:
            low, high = high, low
        return low, high


class ProductHit(BaseModel):
    id: int
    title: str
    shop_id: int
    shop_name: str
    min_price_fen: int
    original_price_fen: int
    cover_url: str | None
    sales_count: int
    free_shipping: bool
    pay_later: bool
    in_stock: bool
    shop_band: str | None
    new_shop: bool = Field(description="the shop opened within the new-merchant window (新商)")


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class PriceRange(BaseModel):
    min_fen: int
    max_fen: int | None
    label: str


class Facets(BaseModel):
    categories: list[FacetValue] = []
    shop_bands: list[FacetValue] = []
    price_ranges: list[PriceRange] = []
    free_shipping: int = 0
    pay_later: int = 0
    in_stock: int = 0


class SearchResult(BaseModel):
    query: str
    normalized: str
    terms: list[list[str]] = Field(description="what was searched: each term with its alternatives")
    corrected_to: str | None = Field(
        default=None, description="the query found nothing as typed; these are the results for this one"
    )
    did_you_mean: str | None = None
    relaxed: bool = Field(default=False, description="no product had every word; these have some")
    partial_from: int | None = Field(
        default=None, description="items from this index on have only some of the words (few had all)"
    )
    sort: Sort
    total: int
    limit: int
    offset: int
    items: list[ProductHit]
    facets: Facets


class ContentHit(BaseModel):
    kind: ContentKind
    id: int
    title: str
    subtitle: str = Field(description="the shop or anchor name, or the video's author")
    cover_url: str | None
    shop_id: int | None
    popularity: int = Field(description="viewers of a live session, plays of a video")
    published_at: datetime | None


class ContentResult(BaseModel):
    query: str
    kind: ContentKind
    items: list[ContentHit]


class Suggestion(BaseModel):
    text: str
    source: Literal["history", "word"] = Field(description="searched by others, or a known word")


class SuggestResult(BaseModel):
    prefix: str
    items: list[Suggestion]


class HotSearch(BaseModel):
    query: str
    searches: int


class ReindexOut(BaseModel):
    products: int
    live_sessions: int
    videos: int
    terms: int


class DocView(BaseModel):
    """One indexed thing with every signal the feed ranks by."""

    kind: str
    ref_id: int
    shop_id: int | None
    author_id: int | None
    category_id: int | None
    title: str
    subtitle: str
    cover_url: str | None
    price_fen: int
    original_price_fen: int
    sales: int
    orders: int
    impressions: int
    popularity: int
    in_stock: bool
    free_shipping: bool
    pay_later: bool
    distributed: bool
    boosted: bool
    weight_bp: int
    product_score: int | None
    price_index_bp: int | None
    overpriced: bool
    dsr_x100: int | None
    shop_band: str | None
    shop_opened_at: datetime | None
    rank_bp: int
    published_at: datetime | None

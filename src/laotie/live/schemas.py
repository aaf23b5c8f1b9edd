from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt
from laotie.live.models import SessionStatus
from laotie.orders.schemas import PayMode

MAX_CART_ITEMS = 100
MAX_FLASH_QUANTITY = 100_000


class RoomIn(BaseModel):
    shop_id: Id | None = Field(default=None, description="the shop that broadcasts; none for a creator")
    title: str = Field(min_length=1, max_length=60)


class RoomOut(BaseModel):
    id: int
    owner_id: int
    shop_id: int | None
    title: str
    stream_key_rotated_at: datetime
    live_session_id: int | None = None


class StreamKeyOut(BaseModel):
    """Shown once: only its hash is stored. Rotating it revokes the previous key."""

    room_id: int
    stream_key: str
    rtmp_url: str = Field(description="push here with OBS or ffmpeg: the server, then the key as stream name")


class SessionIn(BaseModel):
    title: str = Field(min_length=1, max_length=60)
    scheduled_at: datetime | None = Field(default=None, description="when it is planned; now when omitted")


class SessionOut(BaseModel):
    id: int
    room_id: int
    anchor_user_id: int
    shop_id: int | None
    title: str
    status: SessionStatus
    cover_url: str | None
    hls_url: str | None
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    pinned_item_id: int | None
    likes: int


class CartItemIn(BaseModel):
    product_id: Id


class CartOrderIn(BaseModel):
    item_ids: list[Id] = Field(max_length=MAX_CART_ITEMS)


class PinIn(BaseModel):
    item_id: Id | None = Field(description="the cart item being explained now (讲解中); null to unpin")


class FlashSaleOut(BaseModel):
    id: int
    item_id: int
    sku_id: int
    price_fen: int
    list_price_fen: int
    quantity: int
    remaining: int
    per_buyer_limit: int
    starts_at: datetime
    open: bool
    closed: bool
    # Its start has come but the broadcast has not: it opens when the session goes live, or closes
    # with its units back on the shelf if the session ends first.
    waiting_for_live: bool = False


class CartItemOut(BaseModel):
    id: int
    product_id: int
    shop_id: int
    title: str
    cover_url: str | None
    min_price_fen: int
    position: int
    pinned: bool
    commission_bp: int | None
    flash_sales: list[FlashSaleOut] = []


class FlashSaleIn(BaseModel):
    item_id: Id
    sku_id: Id
    price_fen: StrictInt = Field(ge=1, le=10**10)
    quantity: StrictInt = Field(ge=1, le=MAX_FLASH_QUANTITY)
    per_buyer_limit: StrictInt = Field(default=1, ge=1, le=99)
    starts_at: datetime


class FlashBuyIn(BaseModel):
    quantity: StrictInt = Field(default=1, ge=1, le=99)
    address_id: Id
    pay_mode: PayMode = PayMode.PAY_NOW


class ProductReport(BaseModel):
    product_id: int
    title: str
    orders: int
    units: int
    gmv_fen: int


class IntentComment(BaseModel):
    text: str
    minute: int = Field(description="minutes since the session started (0 = its first minute)")
    product_id: int | None = Field(description="the product pinned when it was said")
    reasons: list[str] = Field(description="what was asked: intent_price, intent_size, intent_stock…")


class IntentOut(BaseModel):
    """Purchase-intent comments (求讲解 signals: 怎么买, 多少钱, 有L码吗) of one session, shown ones only."""

    session_id: int
    total: int
    per_minute: list[int] = Field(description="intent comments in each minute since the start")
    by_product: dict[int, int] = Field(description="intent comments while each product was pinned")
    recent: list[IntentComment] = Field(description="the latest ones, newest first")


class SessionReport(BaseModel):
    session_id: int
    title: str
    status: SessionStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int
    unique_viewers: int
    peak_viewers: int
    comments: int
    blocked_comments: int
    likes: int
    new_followers: int
    orders: int
    paid_orders: int
    buyers: int
    gmv_fen: int = Field(description="paid order value (fen) of orders placed in the session")
    conversion: float = Field(description="buyers ÷ unique viewers")
    products: list[ProductReport]
    # Orders per minute since the start, for the chart.
    orders_timeline: list[int]
    # Purchase-intent comments (求讲解 signals), in all and per minute since the start.
    intent_comments: int = 0
    intent_timeline: list[int] = Field(default_factory=list)


class CommentOut(BaseModel):
    id: int
    user_id: int
    text: str
    blocked: bool
    at: datetime


class LiveCard(BaseModel):
    """A room on air, as the front page's 直播中 strip shows it."""

    session_id: int
    title: str
    anchor_name: str = Field(description="the shop's name for a shop's own broadcast, else the creator's")
    shop_id: int | None
    cover_url: str | None
    viewers: int = Field(description="distinct people who have watched this broadcast so far")
    likes: int
    started_at: datetime | None
    status: SessionStatus = SessionStatus.LIVE
    anchor_user_id: int | None = None

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from laotie.core.ids import MAX_ID, Id
from laotie.reviews.models import PartStatus, ReportReason, ReportStatus, ReviewStatus
from laotie.reviews.tags import TAG_KEYWORDS as TAG_KEYWORDS  # the tag words, for the pages

MAX_PHOTOS = 9
MAX_TEXT = 500
FOLLOWUP_DAYS = 90
DEFAULT_AFTER_DAYS = 15
PhotoIds = list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class ReviewIn(BaseModel):
    order_line_id: Id
    # Checked by the service (REVIEW_STARS_INVALID), so a client gets one clear code for them.
    product_stars: int = Field(description="描述相符 1-5")
    service_stars: int = Field(description="服务态度 1-5")
    logistics_stars: int = Field(description="物流服务 1-5")
    text: str = Field(default="", max_length=MAX_TEXT)
    photo_ids: PhotoIds = Field(default_factory=list, max_length=50, description=f"at most {MAX_PHOTOS}")
    anonymous: bool = False


class FollowupIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT)
    photo_ids: PhotoIds = Field(default_factory=list, max_length=50, description=f"at most {MAX_PHOTOS}")


class ReplyIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT)


class ReportIn(BaseModel):
    reason: ReportReason
    note: str = Field(default="", max_length=200)


class RemoveIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class HeldPart(enum.StrEnum):
    REVIEW = "review"
    FOLLOWUP = "followup"
    REPLY = "reply"
    FOLLOWUP_REPLY = "followup_reply"


class ReleaseIn(BaseModel):
    part: HeldPart = HeldPart.REVIEW


class Sort(enum.StrEnum):
    NEWEST = "newest"
    HELPFUL = "helpful"


class Rating(enum.StrEnum):
    """好评 4-5 stars, 中评 3, 差评 1-2 (on 描述相符)."""

    GOOD = "good"
    MIDDLE = "middle"
    BAD = "bad"


class PhotoOut(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class ReviewOut(BaseModel):
    id: int
    order_line_id: int
    order_id: int
    product_id: int
    shop_id: int
    sku_attrs: dict[str, str] = Field(description="the SKU bought (颜色/尺码): the 已购 badge")
    title: str
    product_stars: int
    service_stars: int
    logistics_stars: int
    text: str
    display_name: str
    anonymous: bool
    is_default: bool = Field(description="系统默认好评: no text, counted as a positive rating")
    status: ReviewStatus
    tags: list[str]
    photos: list[PhotoOut]
    helpful_count: int
    created_at: datetime
    published_at: datetime | None
    reply_text: str | None
    reply_status: PartStatus | None
    replied_at: datetime | None
    followup_text: str | None
    followup_status: PartStatus | None
    followup_at: datetime | None
    followup_photos: list[PhotoOut]
    followup_reply_text: str | None
    followup_reply_status: PartStatus | None
    followup_replied_at: datetime | None
    removed_reason: str = ""


class TagCount(BaseModel):
    tag: str
    count: int


class Summary(BaseModel):
    product_id: int
    count: int
    average_stars: float | None = Field(description="描述相符 mean, one decimal; None without reviews")
    good_rate: float | None = Field(description="share of 4-5 star reviews, 0..1; None without reviews")
    stars: dict[int, int] = Field(description="reviews per 描述相符 star")
    with_photos: int
    with_followup: int
    tags: list[TagCount]


class PendingLine(BaseModel):
    """A line that reached the buyer and has no review yet (待评价)."""

    order_line_id: int
    order_id: int
    product_id: int
    title: str
    sku_attrs: dict[str, str]
    delivered_at: datetime | None


class ReportOut(BaseModel):
    id: int
    review_id: int
    reporter_id: int
    reason: ReportReason
    note: str
    status: ReportStatus
    created_at: datetime
    review: ReviewOut


class HelpfulOut(BaseModel):
    review_id: int
    helpful_count: int


class EventOut(BaseModel):
    kind: str
    actor_id: int | None
    note: str
    at: datetime

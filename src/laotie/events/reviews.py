"""What the reviews domain emits, each when a review starts or stops counting (ids int, times ISO
8601 UTC strings, stars 1..5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class ReviewPublished(DomainEvent):
    """A review starts counting: a buyer's review that passed screening, a held one staff released,
    or a 系统默认好评 (``is_default``). ``creator_id`` is the order's attributed creator or anchor."""

    topic: ClassVar[str] = "reviews.review_published"
    review_id: int
    order_id: int
    order_line_id: int
    product_id: int
    sku_id: int
    shop_id: int
    category_id: int
    buyer_id: int
    creator_id: int | None
    product_stars: int
    service_stars: int
    logistics_stars: int
    is_default: bool
    has_photos: bool
    tags: list[str]  # e.g. ["尺码偏小", "质量好"]
    published_at: str


@dataclass(frozen=True)
class ReviewRemoved(DomainEvent):
    """A counting review was taken down (staff, or governance)."""

    topic: ClassVar[str] = "reviews.review_removed"
    review_id: int
    product_id: int
    shop_id: int
    order_line_id: int
    removed_at: str
    reason: str


@dataclass(frozen=True)
class FollowupPublished(DomainEvent):
    """A follow-up (追评) of a counting review is shown."""

    topic: ClassVar[str] = "reviews.followup_published"
    review_id: int
    product_id: int
    shop_id: int
    published_at: str

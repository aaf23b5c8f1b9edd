"""Reviews (评价) of order lines, their photos, helpful marks, reports, the append-only trail, and the
lines waiting for a 系统默认好评."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class ReviewStatus(enum.StrEnum):
    PUBLISHED = "published"  # shown and counted
    HELD = "held"  # screening found diversion or bribery: waits for staff, not shown, not counted
    REMOVED = "removed"  # taken down by staff or governance: not shown, no longer counted


class PartStatus(enum.StrEnum):
    """A follow-up or a merchant reply: shown, or held for staff like a review."""

    PUBLISHED = "published"
    HELD = "held"


class ReviewEventKind(enum.StrEnum):
    """What a review's trail records (``reviews_review_event.kind``)."""

    PUBLISHED = "published"
    HELD = "held"  # screened: waits for staff
    DEFAULT = "default"  # the default positive review after the buyer wrote none
    FOLLOWUP = "followup"
    FOLLOWUP_HELD = "followup_held"
    REPLY = "reply"
    REPLY_HELD = "reply_held"
    FOLLOWUP_REPLY = "followup_reply"
    FOLLOWUP_REPLY_HELD = "followup_reply_held"
    REPORTED = "reported"
    REPORT_DISMISSED = "report_dismissed"
    REMOVED = "removed"
    RELEASED_REVIEW = "released_review"
    RELEASED_FOLLOWUP = "released_followup"
    RELEASED_REPLY = "released_reply"
    RELEASED_FOLLOWUP_REPLY = "released_followup_reply"


class ReportReason(enum.StrEnum):
    ABUSE = "abuse"  # 辱骂攻击
    AD = "ad"  # 广告导流
    PRIVACY = "privacy"  # 泄露隐私
    FAKE = "fake"  # 虚假评价 / 刷评
    IRRELEVANT = "irrelevant"  # 与商品无关
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the review was removed
    DISMISSED = "dismissed"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class Review(Base):
    """One buyer's review of one order line (unique: a line is reviewed once), with its follow-up
    (追评) and the shop's replies to each. What was bought is copied from the line."""

    __tablename__ = "reviews_review"
    __table_args__ = (
        UniqueConstraint("order_line_id"),
        Index("ix_reviews_review_product_id_status_published_at", "product_id", "status", "published_at"),
        Index("ix_reviews_review_shop_id_status_published_at", "shop_id", "status", "published_at"),
        Index("ix_reviews_review_buyer_id_created_at", "buyer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger)
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger)
    creator_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(60))
    sku_attrs: Mapped[dict[str, str]] = mapped_column(JSON)
    product_stars: Mapped[int] = mapped_column(SmallInteger)
    service_stars: Mapped[int] = mapped_column(SmallInteger)
    logistics_stars: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # What others see as the author, fixed when written (masked when anonymous).
    display_name: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)  # 系统默认好评
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, "reviews_status"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(String(200), default="")
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_status: Mapped[PartStatus | None] = mapped_column(_enum(PartStatus, "reviews_part_status"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by: Mapped[int | None] = mapped_column(BigInteger)
    followup_text: Mapped[str | None] = mapped_column(Text)
    followup_status: Mapped[PartStatus | None] = mapped_column(_enum(PartStatus, "reviews_part_status"))
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_reply_text: Mapped[str | None] = mapped_column(Text)
    followup_reply_status: Mapped[PartStatus | None] = mapped_column(_enum(PartStatus, "reviews_part_status"))
    followup_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_replied_by: Mapped[int | None] = mapped_column(BigInteger)


class ReviewPhoto(Base):
    """A photo uploaded by a buyer, attached to a review or its follow-up (``part``) when written."""

    __tablename__ = "reviews_photo"
    __table_args__ = (Index("ix_reviews_photo_review_id_part_position", "review_id", "part", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(BigInteger)
    part: Mapped[str] = mapped_column(String(10), default="")  # "review" or "followup" once attached
    position: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by: Mapped[int] = mapped_column(BigInteger, index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    thumb_content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewTag(Base):
    """A tag found in a review's text (尺码偏小 …), one row each, for the product page's counts."""

    __tablename__ = "reviews_tag"
    __table_args__ = (
        UniqueConstraint("review_id", "tag"),
        Index("ix_reviews_tag_product_id_tag", "product_id", "tag"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    tag: Mapped[str] = mapped_column(String(20))


class ReviewHelpful(Base):
    __tablename__ = "reviews_helpful"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewReport(Base):
    __tablename__ = "reviews_report"
    __table_args__ = (
        UniqueConstraint("review_id", "reporter_id"),
        Index("ix_reviews_report_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(BigInteger)
    reporter_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason, "reviews_report_reason"))
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, "reviews_report_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)


class ReviewEvent(Base):
    """The review's append-only trail: written, held, published, replied, reported, removed …"""

    __tablename__ = "reviews_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewDue(Base):
    """A line of a completed order that gets a 系统默认好评 at ``due_at`` unless its buyer reviews
    first. Written when the order completes (the ``OrderCompleted`` event); deleted when handled."""

    __tablename__ = "reviews_due"

    order_line_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    order_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

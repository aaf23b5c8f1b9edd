"""Scores' own rows: the inputs kept from events, per-day aggregates updated in place, each subject's
current scores, their daily history, and what moved them.

Speed comes from ``scores_daily``: one row per subject (product, shop, user, category) and day with
counters that an event bumps by one statement; a score is recomputed from at most 90 of those rows,
never from the reviews themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime

# The counters of a day (scores_daily), in the order the aggregates read them.
COUNTERS = (
    "reviews",
    "description_sum",
    "service_sum",
    "logistics_sum",
    "bad_reviews",
    "delivered",
    "quality_returns",
    "complaints",
    "violation_points",
    "shipped",
    "shipped_late",
    "answered",
    "answer_minutes",
    "disputes_lost",
)


class ReviewInput(Base):
    """A review as ``reviews.review_published`` told it; kept so a removal subtracts exactly it."""

    __tablename__ = "scores_review"
    __table_args__ = (Index("ix_scores_review_shop_published", "shop_id", "published_at"),)

    review_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    order_line_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger, index=True)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger)
    creator_id: Mapped[int | None] = mapped_column(BigInteger)
    product_stars: Mapped[int] = mapped_column(SmallInteger)
    service_stars: Mapped[int] = mapped_column(SmallInteger)
    logistics_stars: Mapped[int] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineInput(Base):
    """A delivered order line (the 品退率's denominator) and who sold it."""

    __tablename__ = "scores_line"

    line_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger)
    creator_id: Mapped[int | None] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FactInput(Base):
    """Any other input (a quality return, an upheld complaint, a violation, a lost dispute, a late
    or on-time shipment, an after-sales answer), once per ``ref`` (idempotent on redelivery)."""

    __tablename__ = "scores_fact"
    __table_args__ = (
        UniqueConstraint("kind", "ref"),
        Index("ix_scores_fact_shop_at", "shop_id", "at"),
        Index("ix_scores_fact_product_at", "product_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(120))
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(Integer, default=1)
    # A second figure some facts carry: an answer's minutes, a shipment's lateness (1 late, 0 on time).
    extra: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Daily(Base):
    """One subject's counters for one day, bumped in place by each event."""

    __tablename__ = "scores_daily"
    # The window job finds the subjects whose oldest day is leaving the window.
    __table_args__ = (Index("ix_scores_daily_kind_day", "subject_kind", "day"),)

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    description_sum: Mapped[int] = mapped_column(Integer, default=0)
    service_sum: Mapped[int] = mapped_column(Integer, default=0)
    logistics_sum: Mapped[int] = mapped_column(Integer, default=0)
    bad_reviews: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    quality_returns: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    violation_points: Mapped[int] = mapped_column(Integer, default=0)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    shipped_late: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answer_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    disputes_lost: Mapped[int] = mapped_column(Integer, default=0)


class Current(Base):
    """A subject's scores now (what the read API answers from, one primary-key lookup)."""

    __tablename__ = "scores_current"
    __table_args__ = (Index("ix_scores_current_shop", "shop_id", "subject_kind"),)

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    rating_avg_x100: Mapped[int | None] = mapped_column(Integer)
    dsr_description_x100: Mapped[int | None] = mapped_column(Integer)
    dsr_service_x100: Mapped[int | None] = mapped_column(Integer)
    dsr_logistics_x100: Mapped[int | None] = mapped_column(Integer)
    prior_x100: Mapped[int | None] = mapped_column(Integer)  # the category average the DSR leans to
    quality_return_bp: Mapped[int | None] = mapped_column(Integer)
    product_score: Mapped[int | None] = mapped_column(Integer)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_index_bp: Mapped[int | None] = mapped_column(Integer)
    own_price_index_bp: Mapped[int | None] = mapped_column(Integer)
    overpriced: Mapped[bool] = mapped_column(Boolean, default=False)
    experience: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(10))
    integrity: Mapped[int | None] = mapped_column(Integer)
    # Which lines the subject is below now ("product_score,overpriced"), so a crossing is seen once.
    below: Mapped[str] = mapped_column(String(120), default="")
    rolled_on: Mapped[date | None] = mapped_column(Date)  # the day its window was last moved
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class History(Base):
    """A subject's scores at the end of each day it changed (the merchant's charts)."""

    __tablename__ = "scores_history"

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)


class Movement(Base):
    """What moved a subject's scores: the input (review 812, 售后单 31, 投诉 7) and before -> after."""

    __tablename__ = "scores_movement"
    __table_args__ = (Index("ix_scores_movement_subject", "subject_kind", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(20))
    cause_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"dsr_service_x100": [471, 468], ...}
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PricePoint(Base):
    """A product's price as scores last saw it, its leaf category and attribute values (the peers
    of 价格力), and its price per day (its own recent prices)."""

    __tablename__ = "scores_price"
    __table_args__ = (
        Index("ix_scores_price_category", "category_id", "price_fen"),
        Index("ix_scores_price_updated_at", "updated_at"),
    )

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    attributes: Mapped[list[str]] = mapped_column(JSON, default=list)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PriceDay(Base):
    __tablename__ = "scores_price_day"

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    price_fen: Mapped[int] = mapped_column(BigInteger)


class ShopCategory(Base):
    """How many reviews a shop has in each category: its main category's average is its DSR prior."""

    __tablename__ = "scores_shop_category"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reviews: Mapped[int] = mapped_column(Integer, default=0)

"""Recorded hits: texts the detectors blocked, where they came from, and what staff made of them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime
from laotie.moderation.schemas import HitStatus, Surface


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=30, values_callable=lambda k: [m.value for m in k])


class ModerationHit(Base):
    """One blocked text (diversion, prohibited goods or review bribery), kept as it was written."""

    __tablename__ = "moderation_hit"
    __table_args__ = (
        Index("ix_moderation_hit_author_id_created_at", "author_id", "created_at"),
        Index("ix_moderation_hit_status_id", "status", "id"),
        Index("ix_moderation_hit_subject_kind_subject_id", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    surface: Mapped[Surface] = mapped_column(_enum(Surface, "moderation_surface"))
    subject_kind: Mapped[str] = mapped_column(String(30))  # e.g. live_comment, product, shop, video
    subject_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    diversion: Mapped[bool] = mapped_column(Boolean)
    purchase_intent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[HitStatus] = mapped_column(_enum(HitStatus, "moderation_hit_status"))
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ModerationAuthor(Base):
    """When an author was last reported as a repeat offender: one row per author, moved by one
    conditional UPDATE, so that parallel hits report the author at most once per window."""

    __tablename__ = "moderation_author"

    author_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)

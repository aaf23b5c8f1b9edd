"""Consequences in force and past: one row per (subject, effect, source) while it lasts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class Consequence(Base):
    __tablename__ = "standing_consequence"
    __table_args__ = (
        # At most one unlifted consequence per subject, effect and source: imposing again is a no-op.
        Index(
            "uq_standing_consequence_active",
            "subject_kind",
            "subject_id",
            "effect",
            "source_key",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
        Index("ix_standing_consequence_subject", "subject_kind", "subject_id", "lifted_at"),
        Index("ix_standing_consequence_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    effect: Mapped[str] = mapped_column(String(30))
    value_bp: Mapped[int | None] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(10))
    # Who caused it, spelled so a person can follow it: "product_score", "case:812", "shop_band".
    source_key: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_reason: Mapped[str] = mapped_column(String(200), default="")

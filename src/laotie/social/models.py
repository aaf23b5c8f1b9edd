"""Follows (老铁 / 粉丝, private traffic) and each user's inbox of notifications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class TargetKind(enum.StrEnum):
    SHOP = "shop"
    USER = "user"  # an anchor or creator


class Follow(Base):
    __tablename__ = "social_follow"
    __table_args__ = (
        UniqueConstraint("follower_id", "target_kind", "target_id"),
        # Fan counts, new fans in a window, and the fan-out walk by follower id.
        Index("ix_social_follow_target", "target_kind", "target_id", "follower_id"),
        Index("ix_social_follow_target_created_at", "target_kind", "target_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    target_kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """One inbox line. ``source_key`` (the event that caused it) makes a fan-out idempotent."""

    __tablename__ = "social_notification"
    __table_args__ = (
        UniqueConstraint("user_id", "source_key"),
        Index("ix_social_notification_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    source_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

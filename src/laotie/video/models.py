"""Short videos (短视频): uploaded mp4 files or links, the products they sell, views, likes, comments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class VideoStatus(enum.StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # its caption was blocked by moderation: only its author sees it until staff clear it
    REMOVED = "removed"


class Video(Base):
    __tablename__ = "video_video"
    __table_args__ = (
        Index("ix_video_video_status_id", "status", "id"),
        Index("ix_video_video_author_id_id", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops_shop.id"), index=True)  # posted for a shop
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))  # upload / link
    media_key: Mapped[str | None] = mapped_column(String(200))  # storage key of an uploaded file
    url: Mapped[str | None] = mapped_column(String(500))  # a linked mp4
    cover_key: Mapped[str | None] = mapped_column(String(200))
    container: Mapped[str] = mapped_column(String(20), default="")
    codec: Mapped[str] = mapped_column(String(20), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default=VideoStatus.PUBLISHED)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VideoProduct(Base):
    __tablename__ = "video_product"
    __table_args__ = (UniqueConstraint("video_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video_video.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)


class VideoLike(Base):
    __tablename__ = "video_like"

    video_id: Mapped[int] = mapped_column(ForeignKey("video_video.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VideoComment(Base):
    __tablename__ = "video_comment"
    __table_args__ = (
        Index("ix_video_comment_video_id_id", "video_id", "id"),
        Index("ix_video_comment_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("video_video.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    body: Mapped[str] = mapped_column(String(500))
    # Blocked by moderation (diversion, prohibited goods): shown only to its author.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    intent: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # a purchase-intent question
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VideoCommentPace(Base):
    """When a user last commented on any video: one row per user, moved by one conditional UPDATE,
    so parallel comments cannot all pass the pace check (a read of the latest comment could)."""

    __tablename__ = "video_comment_pace"

    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), primary_key=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)

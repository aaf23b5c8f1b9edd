"""Live rooms (直播间), their broadcasts (sessions), the live cart (小黄车), flash sales (秒杀), comments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class CommentStatus(enum.StrEnum):
    SHOWN = "shown"
    BLOCKED = "blocked"  # kept, shown only to its author


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class LiveRoom(Base):
    """One per anchor: a merchant's shop self-broadcasting (shop_id set) or a creator (shop_id null)."""

    __tablename__ = "live_room"
    __table_args__ = (UniqueConstraint("owner_id", "shop_id", name="uq_live_room_owner_id_shop_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    # sha256 of the current stream key; the key itself is shown once, when it is issued.
    stream_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stream_key_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveSession(Base):
    __tablename__ = "live_session"
    __table_args__ = (Index("ix_live_session_room_id_status", "room_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_room.id"))
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus, "live_session_status"))
    title: Mapped[str] = mapped_column(String(60))
    cover_key: Mapped[str | None] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the media server writes this session's HLS (the stream key is never in a public URL).
    playback_name: Mapped[str | None] = mapped_column(String(64))
    pinned_item_id: Mapped[int | None] = mapped_column(BigInteger)
    # Counters kept by the realtime hub (flushed about once a second).
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveCartItem(Base):
    """A product in a session's live cart, in the anchor's order."""

    __tablename__ = "live_cart_item"
    __table_args__ = (
        UniqueConstraint("session_id", "product_id", name="uq_live_cart_item_session_id_product_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    shop_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)
    # For a creator: the alliance commission offered when the product was added (basis points).
    commission_bp: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashSale(Base):
    """秒杀: ``quantity`` units of one SKU at ``price_fen``, reserved from the SKU's stock at creation."""

    __tablename__ = "live_flash_sale"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("live_cart_item.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("catalog_sku.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    list_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    per_buyer_limit: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Unsold units went back to the SKU's stock (when the session ended).
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlashQuota(Base):
    """Units of a flash sale one buyer holds (the per-buyer limit), moved by conditional updates."""

    __tablename__ = "live_flash_quota"
    __table_args__ = (
        UniqueConstraint("flash_sale_id", "buyer_id", name="uq_live_flash_quota_flash_sale_id_buyer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flash_sale_id: Mapped[int] = mapped_column(ForeignKey("live_flash_sale.id"))
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer)


class LiveComment(Base):
    __tablename__ = "live_comment"
    __table_args__ = (Index("ix_live_comment_session_id_id", "session_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus, "live_comment_status"))
    reason: Mapped[str] = mapped_column(String(40), default="")  # the moderation reason codes of a block
    # Purchase intent (怎么买, 多少钱, 有L码吗: 求讲解 signals), and the product pinned when it was stored.
    intent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    product_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LiveViewer(Base):
    """Who watched a session (user id, or an anonymous visitor id): unique viewers for the report."""

    __tablename__ = "live_viewer"
    __table_args__ = (
        UniqueConstraint("session_id", "viewer_key", name="uq_live_viewer_session_id_viewer_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id"))
    viewer_key: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

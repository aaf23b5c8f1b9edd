"""What the feed records: every impression with its position (exposure is measured from it), and
the new-merchant detector's evidence per new shop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class Impression(Base):
    """One item shown to one viewer at one position of one surface (feed tab, search, shelf)."""

    __tablename__ = "feed_impression"
    __table_args__ = (
        Index("ix_feed_impression_shop_id_at", "shop_id", "at"),
        Index("ix_feed_impression_at", "at"),
        Index("ix_feed_impression_item_kind_item_id", "item_kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    viewer_id: Mapped[int | None] = mapped_column(BigInteger)  # None: not logged in
    surface: Mapped[str] = mapped_column(String(20))  # home, live, video, search, category, shop, mall
    item_kind: Mapped[str] = mapped_column(String(10))  # product, live, video
    item_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)  # 0 is the first slot
    policy: Mapped[str] = mapped_column(String(20), default="")  # the traffic policy that ranked it


class NewShop(Base):
    """A shop in its first weeks, and what the new-merchant detector has seen of it: its first
    broadcast's viewers (首播), its first week's traffic (首周流量), its early GMV (短期GMV)."""

    __tablename__ = "feed_new_shop"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_live_session_id: Mapped[int | None] = mapped_column(BigInteger)
    first_live_viewers: Mapped[int] = mapped_column(Integer, default=0)
    first_week_impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    early_gmv_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    promising_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promising_reason: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

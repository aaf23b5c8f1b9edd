"""好物联盟: products merchants offer to creators at a commission rate, their history, and showcases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class Offer(Base):
    """One product's place in the alliance: its current rate, or withdrawn. One row per product."""

    __tablename__ = "affiliate_offer"
    __table_args__ = (Index("ix_affiliate_offer_active_id", "active", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    rate_bp: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfferChange(Base):
    """The append-only trail of an offer: offered, rate changed, withdrawn (who, what, when)."""

    __tablename__ = "affiliate_offer_change"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("affiliate_offer.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # offered / rate_changed / withdrawn
    old_rate_bp: Mapped[int | None] = mapped_column(Integer)
    new_rate_bp: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShowcaseItem(Base):
    """A product in a creator's showcase (橱窗)."""

    __tablename__ = "affiliate_showcase_item"
    __table_args__ = (UniqueConstraint("creator_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

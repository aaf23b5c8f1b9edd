from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.addresses.schemas import RevealPurpose
from laotie.core.db import Base, BigId, UTCDateTime


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native enum types) so adding a value is a code change only.
    return Enum(kind, name=name, native_enum=False, length=30, values_callable=lambda k: [m.value for m in k])


_LIVE_DEFAULT = text("is_default AND deleted_at IS NULL")


class Address(Base):
    """One entry of a buyer's address book. Region names are copied beside their codes so an
    address reads the same after the division data is updated. Deleting only sets ``deleted_at``."""

    __tablename__ = "addresses_address"
    __table_args__ = (
        Index("ix_addresses_address_user_id_deleted_at", "user_id", "deleted_at"),
        # The database, not only the service, keeps a user to one live default address.
        Index(
            "uq_addresses_address_one_default",
            "user_id",
            unique=True,
            sqlite_where=_LIVE_DEFAULT,
            postgresql_where=_LIVE_DEFAULT,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    recipient: Mapped[str] = mapped_column(String(25))
    phone: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(6))
    province_name: Mapped[str] = mapped_column(String(30))
    city_code: Mapped[str | None] = mapped_column(String(6))
    city_name: Mapped[str] = mapped_column(String(30), default="")
    district_code: Mapped[str | None] = mapped_column(String(6))
    district_name: Mapped[str] = mapped_column(String(30), default="")
    detail: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevealLog(Base):
    """Append-only: every time a buyer's full address was shown to someone other than the buyer."""

    __tablename__ = "addresses_reveal_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    # No foreign keys to shops or orders: they sit above addresses and may keep their own ids.
    shop_id: Mapped[int | None] = mapped_column(BigId, index=True)
    order_ref: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[RevealPurpose] = mapped_column(_enum(RevealPurpose, "address_reveal_purpose"))
    address_id: Mapped[int | None] = mapped_column(BigId)
    province_code: Mapped[str] = mapped_column(String(6))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

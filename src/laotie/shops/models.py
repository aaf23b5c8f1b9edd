from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class ShopStatus(enum.StrEnum):
    APPLYING = "applying"  # application submitted or being corrected; not selling
    OPEN = "open"
    RESTRICTED = "restricted"  # selling, but penalised (no new listings, no traffic boosts)
    FROZEN = "frozen"  # no selling, no withdrawals
    CLOSED = "closed"


class ShopEventKind(enum.StrEnum):
    """What a shop's trail records (``shop_event.kind``)."""

    APPLIED = "applied"
    RESUBMITTED = "resubmitted"
    DOCUMENT_UPLOADED = "document_uploaded"
    APPROVED = "approved"
    REJECTED = "rejected"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    RESTRICTED = "restricted"
    RESTRICTION_LIFTED = "restriction_lifted"
    FROZEN = "frozen"
    UNFROZEN = "unfrozen"
    CLOSED = "closed"
    CLOSED_BY_OWNER = "closed_by_owner"
    WITHDRAWN = "withdrawn"  # the owner withdrew an application still under review
    WITHDRAWALS_FROZEN = "withdrawals_frozen"
    WITHDRAWALS_UNFROZEN = "withdrawals_unfrozen"


class ReviewState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native enum types) so adding a state is a code change only.
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class Shop(Base):
    __tablename__ = "shops_shop"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    status: Mapped[ShopStatus] = mapped_column(_enum(ShopStatus, "shop_status"), index=True)
    review_state: Mapped[ReviewState] = mapped_column(_enum(ReviewState, "shop_review_state"))
    review_reason: Mapped[str] = mapped_column(Text, default="")
    main_category_id: Mapped[int] = mapped_column(ForeignKey("categories_category.id"))
    # Business details from the application (营业执照 / 个体工商户 / 个人).
    entity_type: Mapped[str] = mapped_column(String(20))
    legal_name: Mapped[str] = mapped_column(String(100))
    licence_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    contact_phone: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the application last went (back) into the review queue; the queue is served oldest first.
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 冻结提现: a governance penalty holding the shop's money while it keeps selling.
    withdrawals_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawals_frozen_reason: Mapped[str] = mapped_column(Text, default="")


class ShopMember(Base):
    __tablename__ = "shops_member"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), primary_key=True, index=True)
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole, "shop_member_role"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopEvent(Base):
    """Append-only trail of everything that happened to a shop: who, what, when, why."""

    __tablename__ = "shops_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopDocument(Base):
    """A qualification or brand authorisation file uploaded with or after the application."""

    __tablename__ = "shops_document"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "storage_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # business_license, food_license, brand_authorization…
    brand: Mapped[str] = mapped_column(String(60), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # ISO date (YYYY-MM-DD); an expired document no longer counts towards a requirement.
    expires_on: Mapped[str | None] = mapped_column(String(10))

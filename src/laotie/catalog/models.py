from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from laotie.core.db import Base, BigId, UTCDateTime


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    LISTED = "listed"  # on the shelf (when its shop is selling)
    REJECTED = "rejected"
    DELISTED = "delisted"  # taken off the shelf by the merchant
    BANNED = "banned"  # taken down by governance; final


class ProductEventKind(enum.StrEnum):
    """What a product's trail records (``catalog_product_event.kind``); the moves are ``ACTIONS``."""

    CREATED = "created"
    EDITED = "edited"
    IMAGE_ADDED = "image_added"
    IMAGE_REMOVED = "image_removed"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELISTED = "delisted"
    RELISTED = "relisted"
    RESUBMITTED = "resubmitted"  # content edited while listed
    REVERTED_TO_DRAFT = "reverted_to_draft"  # content edited while delisted
    BANNED = "banned"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Plain strings, not native enum types: adding a state stays a code change only.
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class Product(Base):
    __tablename__ = "catalog_product"
    __table_args__ = (
        # The buyer shelf filters on status first, then a category branch, price or recency; the
        # trailing columns are the sorts' tie-breakers, so a page is read off the index in order.
        # shop_id too: every shelf page counts the listed products of selling shops (in a branch or
        # in all), and with shop_id here that count reads this index alone, not each product row.
        Index("ix_catalog_product_status_category_id_shop_id", "status", "category_id", "shop_id"),
        # The shelf's orders end with shop_id (after the id that makes each key unique): a deep page
        # skips its offset's rows on the index alone, each joined to its (cached) shop for the
        # selling check, instead of reading every skipped product row from the table (at a million
        # products those rows are spread over the file: 2,000 random page reads for page 100).
        Index("ix_catalog_product_status_min_price_fen", "status", "min_price_fen", "id", "shop_id"),
        Index("ix_catalog_product_status_listed_at", "status", "listed_at", "id", "shop_id"),
        Index("ix_catalog_product_status_sales_count", "status", "sales_count", "listed_at", "id", "shop_id"),
        Index("ix_catalog_product_shop_id_status", "shop_id", "status"),
        # The shelf of one category or one shop in its default order, read in index order at a
        # million products instead of sorting the whole category or shop (issue 15).
        Index(
            "ix_catalog_product_status_category_id_sales_count",
            "status",
            "category_id",
            "sales_count",
            "listed_at",
            "id",
            "shop_id",
        ),
        Index(
            "ix_catalog_product_shop_id_status_sales_count",
            "shop_id",
            "status",
            "sales_count",
            "listed_at",
            "id",
        ),
        Index("ix_catalog_product_status_submitted_at", "status", "submitted_at"),
        # A category branch's shelf in default order, read in index order whatever the branch's
        # size: a branch of many leaves is one range of one of these, where ``category_id IN
        # (leaves)`` had to sort the whole branch (issue 15, growth). See ``category_l1_id``.
        Index(
            "ix_catalog_product_status_category_l1_id_sales_count",
            "status",
            "category_l1_id",
            "sales_count",
            "listed_at",
            "id",
            "shop_id",
        ),
        Index(
            "ix_catalog_product_status_category_l2_id_sales_count",
            "status",
            "category_l2_id",
            "sales_count",
            "listed_at",
            "id",
            "shop_id",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories_category.id"))
    # Copies of the category's ancestors at levels 1 and 2 (the category itself at its own level;
    # NULL above it), so the shelf reads any branch of the first two levels from one index range.
    # Written with category_id only (``filing.file_under``); categories never move. No foreign key:
    # a copy of category_id's lineage, checked by ``filing.stale_products`` in the tests.
    category_l1_id: Mapped[int | None] = mapped_column(BigId)
    category_l2_id: Mapped[int | None] = mapped_column(BigId)
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    size_chart: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ProductStatus] = mapped_column(_enum(ProductStatus, "catalog_product_status"))
    review_reason: Mapped[str] = mapped_column(Text, default="")
    purchase_limit: Mapped[int | None] = mapped_column(Integer)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Lowest active SKU price and that SKU's original price, kept here so the shelf sorts and
    # shows prices from this one row.
    min_price_fen: Mapped[int] = mapped_column(BigInteger)
    min_original_price_fen: Mapped[int] = mapped_column(BigInteger)
    total_stock: Mapped[int] = mapped_column(BigInteger, default=0)
    sales_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    skus: Mapped[list[Sku]] = relationship(back_populates="product", order_by="Sku.id")
    images: Mapped[list[Image]] = relationship(
        back_populates="product", order_by="Image.position", cascade="all, delete-orphan"
    )


class Sku(Base):
    __tablename__ = "catalog_sku"
    __table_args__ = (UniqueConstraint("product_id", "attrs_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    attrs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The attribute set in one canonical spelling, so the database itself refuses duplicates.
    attrs_key: Mapped[str] = mapped_column(String(400))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    original_price_fen: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    sku_code: Mapped[str | None] = mapped_column(String(64))
    # A variant dropped from a product stays (orders and price history point at it) but is hidden.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="skus")


class PriceChange(Base):
    """Every price a SKU has had, from its first; price protection and price competitiveness read it."""

    __tablename__ = "catalog_price_change"
    __table_args__ = (Index("ix_catalog_price_change_sku_id_changed_at", "sku_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("catalog_sku.id"))
    old_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_price_fen: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")


class Image(Base):
    __tablename__ = "catalog_image"
    # Position 0 is the cover; the shelf joins on it.
    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    position: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(40))
    thumb_content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(back_populates="images")


class ProductEvent(Base):
    """Append-only trail of what happened to a product: who, what, when, why."""

    __tablename__ = "catalog_product_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class ShippingTemplate(Base):
    """运费模板: a shop's fee rules by region, free-shipping thresholds and regions not served."""

    __tablename__ = "logistics_template"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    # The rules as ``TemplateIn`` minus the name: charge_by, default, regions, free_rules, excluded.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProductShipping(Base):
    """Which template a product ships under and its weight; no row (or no template) means 包邮."""

    __tablename__ = "logistics_product_shipping"

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("logistics_template.id"), index=True)
    weight_g: Mapped[int] = mapped_column(Integer, default=0)


class Shipment(Base):
    """One parcel from the shop to the buyer (to the hub and on, for 西北集运)."""

    __tablename__ = "logistics_shipment"
    __table_args__ = (
        UniqueConstraint("carrier_code", "tracking_no"),
        Index("ix_logistics_shipment_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    buyer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    carrier_code: Mapped[str] = mapped_column(String(20))
    tracking_no: Mapped[str] = mapped_column(String(60))
    dest_province_code: Mapped[str] = mapped_column(String(6))
    dest_city: Mapped[str] = mapped_column(String(40))
    consolidated: Mapped[bool] = mapped_column(Boolean, default=False)
    hub_province_code: Mapped[str | None] = mapped_column(String(6))
    hub_name: Mapped[str] = mapped_column(String(40), default="")
    platform_leg_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    leg_booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leg_ledger_tx_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sandbox only: how far the parcel's timeline was moved ahead (``sandbox_advance``), seconds.
    sandbox_shift_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nodes_seen: Mapped[int] = mapped_column(Integer, default=0)


class TrackingEvent(Base):
    """One step of a parcel's journey as the carrier reported it (append-only)."""

    __tablename__ = "logistics_tracking_event"
    __table_args__ = (UniqueConstraint("shipment_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("logistics_shipment.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))


class ShipDeadline(Base):
    """发货时效: a paid order must ship by ``due_at``."""

    __tablename__ = "logistics_ship_deadline"
    __table_args__ = (Index("ix_logistics_ship_deadline_open", "shipped_at", "due_at"),)

    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LateShipment(Base):
    """An order shipped (or still not shipped) after its deadline, for governance and the merchant."""

    __tablename__ = "logistics_late_shipment"
    __table_args__ = (Index("ix_logistics_late_shipment_shop_recorded", "shop_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours_late: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopShippingPolicy(Base):
    """A shop's own ship-by promise (e.g. 72 hours for made-to-order goods); none: the platform's."""

    __tablename__ = "logistics_shop_policy"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ship_within_hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

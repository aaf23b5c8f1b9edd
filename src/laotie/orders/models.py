from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"  # for pay-after-use: confirmed and ready to ship, charged later
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # 交易关闭: paid, then refunded in full (after-sales)


class ChargeState(enum.StrEnum):
    """Pay-after-use only: none -> charging -> charged, or retry and at last collections."""

    NONE = "none"
    CHARGING = "charging"
    CHARGED = "charged"
    RETRY = "retry"
    COLLECTIONS = "collections"  # repeated failures: pay-after-use is taken away from the buyer


class OrderEventKind(enum.StrEnum):
    """What an order's trail records (``order_event.kind``)."""

    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RECEIPT_CONFIRMED = "receipt_confirmed"
    AUTO_CONFIRMED = "auto_confirmed"
    SETTLED = "settled"
    REFUNDED_LATE_PAYMENT = "refunded_late_payment"
    PAY_LATER_CHARGED = "pay_later_charged"
    PAY_LATER_RETRY = "pay_later_retry"
    PAY_LATER_COLLECTIONS = "pay_later_collections"
    # Steps after-sales writes on the order's own trail.
    AFTERSALES_RETURN = "aftersales_return"
    AFTERSALES_REFUND_ONLY = "aftersales_refund_only"
    AFTERSALES_PRICE_PROTECTION = "aftersales_price_protection"
    AFTERSALES_DISPUTED = "aftersales_disputed"
    AFTERSALES_DECIDED = "aftersales_decided"
    AFTERSALES_REFUND = "aftersales_refund"
    CLOSED_REFUNDED = "closed_refunded"


class PayMode(enum.StrEnum):
    PAY_NOW = "pay_now"
    PAY_LATER = "pay_later"  # 先用后付


class Channel(enum.StrEnum):
    LIVE = "live"
    VIDEO = "video"
    SHELF = "shelf"
    SEARCH = "search"
    AFFILIATE = "affiliate"
    ADS = "ads"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class Checkout(Base):
    """One buyer's purchase across shops; paid with one payment, split into one order per shop."""

    __tablename__ = "orders_checkout"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    pay_mode: Mapped[PayMode] = mapped_column(_enum(PayMode, "orders_pay_mode"))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    payment_intent_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders_order"
    __table_args__ = (
        Index("ix_orders_order_buyer_id_created_at", "buyer_id", "created_at"),
        Index("ix_orders_order_shop_id_status", "shop_id", "status"),
        Index("ix_orders_order_status_expires_at", "status", "expires_at"),
        Index("ix_orders_order_status_settled_at", "status", "settled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("orders_checkout.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "orders_status"))
    pay_mode: Mapped[PayMode] = mapped_column(_enum(PayMode, "orders_pay_mode"))
    # Where the order came from, for attribution (live session, video, creator).
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "orders_channel"))
    live_session_id: Mapped[int | None] = mapped_column(BigInteger)
    video_id: Mapped[int | None] = mapped_column(BigInteger)
    creator_id: Mapped[int | None] = mapped_column(BigInteger)
    search_query: Mapped[str | None] = mapped_column(String(60))  # channel search: what was searched
    items_total_fen: Mapped[int] = mapped_column(BigInteger)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # The platform-funded part of discount_fen (subsidies, platform coupons, 一元购): the platform
    # pays it to the merchant at completion, as if the buyer had.
    subsidy_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payable_fen: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[dict[str, Any]] = mapped_column(JSON)  # snapshot at checkout
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # payment deadline
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the shop's money for this order moved from pending to available (after the return window).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Pay-after-use only (ChargeState), stored as its value.
    charge_state: Mapped[str] = mapped_column(String(20), default=ChargeState.NONE)
    charge_attempts: Mapped[int] = mapped_column(Integer, default=0)
    charge_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carrier: Mapped[str] = mapped_column(String(40), default="")
    tracking_no: Mapped[str] = mapped_column(String(60), default="")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    # After-sales: money given back to the buyer so far (refunds and price protection), never above
    # payable_fen (one conditional UPDATE guards it), and when a full refund closed the order.
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderLine(Base):
    """What was bought, copied at checkout: later edits to the product never change an order."""

    __tablename__ = "orders_line"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(60))
    sku_attrs: Mapped[dict[str, str]] = mapped_column(JSON)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_fen: Mapped[int] = mapped_column(BigInteger)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Who pays each discount: [{"kind": "multibuy", "funded_by": "shop", "amount_fen": 300}, ...]
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fee_rate_bp: Mapped[int] = mapped_column(Integer)  # platform fee rate copied from the category
    # The category is excluded from 7-day no-reason returns (生鲜, 定制, ...): the buyer was shown this
    # and accepted it at checkout, so the line keeps it.
    return_exempt: Mapped[bool] = mapped_column(default=False)
    # 好物联盟: the creator's commission rate locked at placement (0 without a creator or offer).
    commission_rate_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # After-sales, per line (the guard beside the order's own refunded_fen cap): money given back
    # on the line (never above what was paid for it), units returned (never above the quantity),
    # and the lowest price 七天保价 has compensated it down to. Each moves by one conditional UPDATE.
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    returned_units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    protected_price_fen: Mapped[int | None] = mapped_column(BigInteger)


class OrderEvent(Base):
    __tablename__ = "orders_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class BuyerQuota(Base):
    """Units of a product a buyer holds in live orders, so purchase limits hold under concurrency."""

    __tablename__ = "orders_buyer_quota"
    __table_args__ = (UniqueConstraint("buyer_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer, default=0)


class CartItem(Base):
    __tablename__ = "orders_cart_item"
    __table_args__ = (UniqueConstraint("buyer_id", "sku_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    price_seen_fen: Mapped[int] = mapped_column(BigInteger)  # what the buyer saw when adding
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "orders_channel"))
    live_session_id: Mapped[int | None] = mapped_column(BigInteger)
    video_id: Mapped[int | None] = mapped_column(BigInteger)
    creator_id: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

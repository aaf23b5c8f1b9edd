from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from laotie.core.ids import Id
from laotie.core.money import PriceFen
from laotie.core.numbers import StrictInt
from laotie.orders.models import Channel, OrderStatus, PayMode
from laotie.orders.models import ChargeState as ChargeState  # re-exported for after-sales
from laotie.orders.models import OrderEventKind as OrderEventKind  # re-exported for after-sales

MAX_QUANTITY = 999
MAX_LINES = 50


class Attribution(BaseModel):
    """Where the buyer tapped "buy": the channel and the live session, video or creator behind it."""

    channel: Channel = Channel.SHELF
    live_session_id: Id | None = None
    video_id: Id | None = None
    creator_id: Id | None = None
    query: str | None = Field(
        default=None, max_length=60, description="the words searched, when the channel is search"
    )


class LineIn(BaseModel):
    sku_id: Id
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    expected_unit_price_fen: PriceFen = Field(description="the unit price the buyer was shown")


class CheckoutIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    address_id: Id
    pay_mode: PayMode = PayMode.PAY_NOW
    attribution: Attribution = Attribution()
    coupon_ids: list[Id] = Field(
        default_factory=list, max_length=10, description="wallet coupons (我的优惠券) to use"
    )


class BuyNowIn(BaseModel):
    """立即购买: one SKU straight from a live cart, video or product page, without the cart."""

    sku_id: Id
    quantity: StrictInt = Field(default=1, ge=1, le=MAX_QUANTITY)
    expected_unit_price_fen: PriceFen
    address_id: Id
    pay_mode: PayMode = PayMode.PAY_NOW
    attribution: Attribution = Attribution()
    coupon_ids: list[Id] = Field(default_factory=list, max_length=10)

    def as_checkout(self) -> CheckoutIn:
        line = LineIn(
            sku_id=self.sku_id, quantity=self.quantity, expected_unit_price_fen=self.expected_unit_price_fen
        )
        return CheckoutIn(
            lines=[line],
            address_id=self.address_id,
            pay_mode=self.pay_mode,
            attribution=self.attribution,
            coupon_ids=self.coupon_ids,
        )


@dataclass(frozen=True)
class PriceOverride:
    """A price the server decided for one SKU (a live flash sale 秒杀), never read from the client body.

    Its units were reserved from the SKU's stock beforehand, so placement takes them through ``claim``
    (in the placement's transaction; raises an ``AppError`` to refuse) instead of from the SKU. The
    line keeps the SKU's price and records the difference as a discount funded by the merchant."""

    sku_id: int
    unit_price_fen: int
    kind: str
    reference_id: int
    claim: Callable[[Session, int, int], None]  # (session, buyer_id, quantity)


class PlacedOrder(BaseModel):
    id: int
    shop_id: int
    status: OrderStatus
    payable_fen: int


class PlacedCheckout(BaseModel):
    checkout_id: int
    pay_mode: PayMode
    total_fen: int
    expires_at: datetime | None
    orders: list[PlacedOrder]


class LineOut(BaseModel):
    id: int = Field(description="the line's id: what a partial return or refund names (CaseLineIn.line_id)")
    sku_id: int
    product_id: int
    title: str
    sku_attrs: dict[str, str]
    unit_price_fen: int
    quantity: int
    line_total_fen: int
    discount_fen: int
    discounts: list[dict[str, Any]] = Field(default=[], description="each discount and who funds it")


class OrderEventOut(BaseModel):
    kind: str
    from_status: str | None
    to_status: str | None
    actor_id: int | None
    reason: str
    at: datetime


class OrderOut(BaseModel):
    id: int
    checkout_id: int
    buyer_id: int
    shop_id: int
    status: OrderStatus
    pay_mode: PayMode
    channel: Channel
    live_session_id: int | None
    video_id: int | None
    creator_id: int | None
    search_query: str | None = Field(default=None, description="channel search: the words searched")
    items_total_fen: int
    discount_fen: int
    subsidy_fen: int = Field(default=0, description="the platform-funded part of discount_fen")
    shipping_fen: int
    payable_fen: int
    address: dict[str, Any] = Field(description="full for the buyer; masked for the merchant")
    lines: list[LineOut]
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    refunded_fen: int = 0  # given back by after-sales (refunds, price protection)
    payment_intent_id: int | None = Field(
        default=None,
        description="the checkout's latest payment intent (GET /payments/intents/{id}); none before paying",
    )
    events: list[OrderEventOut] = []


class CartItemIn(BaseModel):
    sku_id: Id
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    attribution: Attribution = Attribution()


class CartLineOut(BaseModel):
    sku_id: int
    product_id: int
    shop_id: int
    title: str
    sku_attrs: dict[str, str]
    quantity: int
    price_seen_fen: int
    current_price_fen: int | None
    price_changed: bool
    available: bool
    stock: int


class CartOut(BaseModel):
    shops: dict[int, list[CartLineOut]]
    total_fen: int


class AttributedLine(BaseModel):
    product_id: int
    title: str
    quantity: int
    paid_fen: int = Field(description="line total less discounts")


class AttributedOrder(BaseModel):
    """An order as a live session's or video's report sees it."""

    id: int
    buyer_id: int
    status: OrderStatus
    payable_fen: int
    paid: bool = Field(description="paid at some point (GMV), even if refunded or cancelled later")
    created_at: datetime
    lines: list[AttributedLine]

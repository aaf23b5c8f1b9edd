"""What the orders domain emits: an order was placed, and each status it moves into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class OrderPlaced(DomainEvent):
    """One per order of a placed checkout (``orders.placement``)."""

    topic: ClassVar[str] = "OrderPlaced"
    order_id: int
    checkout_id: int
    buyer_id: int
    shop_id: int
    payable_fen: int
    pay_mode: str
    channel: str
    live_session_id: int | None
    video_id: int | None
    creator_id: int | None
    search_query: str | None


@dataclass(frozen=True)
class OrderMoved(DomainEvent):
    """The order entered the status its type names (``orders.lifecycle.move``)."""

    order_id: int
    shop_id: int
    buyer_id: int
    payable_fen: int
    pay_mode: str
    channel: str
    live_session_id: int | None
    creator_id: int | None


@dataclass(frozen=True)
class OrderPaid(OrderMoved):
    topic: ClassVar[str] = "OrderPaid"


@dataclass(frozen=True)
class OrderShipped(OrderMoved):
    topic: ClassVar[str] = "OrderShipped"


@dataclass(frozen=True)
class OrderDelivered(OrderMoved):
    topic: ClassVar[str] = "OrderDelivered"


@dataclass(frozen=True)
class OrderCompleted(OrderMoved):
    topic: ClassVar[str] = "OrderCompleted"


@dataclass(frozen=True)
class OrderCancelled(OrderMoved):
    topic: ClassVar[str] = "OrderCancelled"


@dataclass(frozen=True)
class OrderClosed(OrderMoved):
    """Paid, then refunded in full (after-sales, or a platform bulk refund)."""

    topic: ClassVar[str] = "OrderClosed"

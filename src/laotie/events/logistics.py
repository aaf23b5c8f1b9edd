"""What the logistics domain emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class ShipmentDelivered(DomainEvent):
    """签收 on the carrier's timeline."""

    topic: ClassVar[str] = "ShipmentDelivered"
    shipment_id: int
    order_id: int
    shop_id: int
    buyer_id: int
    delivered_at: str  # ISO 8601, the carrier's time of 签收


@dataclass(frozen=True)
class ShippingChanged(DomainEvent):
    """Whether goods ship free may have changed: for the products listed, or (``product_ids`` None)
    for all of the shop's."""

    topic: ClassVar[str] = "logistics.shipping_changed"
    shop_id: int
    product_ids: list[int] | None

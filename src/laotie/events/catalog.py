"""What the catalog domain emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from laotie.core.events import DomainEvent, stored_as


@dataclass(frozen=True)
class SkuPriceChanged(DomainEvent):
    topic: ClassVar[str] = "SkuPriceChanged"
    sku_id: int
    product_id: int
    shop_id: int
    old_price_fen: int | None  # None for a new SKU
    new_price_fen: int
    changed_at: str  # ISO 8601


@dataclass(frozen=True)
class ProductChanged(DomainEvent):
    """What buyers see of the product may have changed (``fields`` names what)."""

    topic: ClassVar[str] = "catalog.product_changed"
    product_id: int
    shop_id: int
    fields: list[str]


@dataclass(frozen=True)
class ProductStatusChanged(DomainEvent):
    """A product moved between statuses; ``kind`` names the action (approved, banned, ...)."""

    topic: ClassVar[str] = "ProductStatusChanged"
    product_id: int
    shop_id: int
    from_: str = field(metadata=stored_as("from"))
    to: str
    kind: str

"""Server-side prices (``PriceOverride``, a live flash sale) on an order line: which SKU's units come
from a reservation, and the merchant-funded discount the line records."""

from __future__ import annotations

from typing import Any

from laotie.catalog.schemas import SkuForSale
from laotie.orders.schemas import PriceOverride


def reserved(override: PriceOverride | None, sku_id: int) -> bool:
    """Whether this SKU's units come from a reservation (a flash sale), not the SKU's stock."""
    return override is not None and override.sku_id == sku_id


def discount(override: PriceOverride | None, sku: SkuForSale, qty: int) -> int:
    if override is None or not reserved(override, sku.sku_id):
        return 0
    return max(0, sku.price_fen - override.unit_price_fen) * qty


def discounts(override: PriceOverride | None, sku: SkuForSale, qty: int) -> list[dict[str, Any]]:
    if override is None or not reserved(override, sku.sku_id):
        return []
    return [
        {
            "kind": override.kind,
            "funded_by": "shop",
            "amount_fen": discount(override, sku, qty),
            "reference_id": override.reference_id,
            "unit_price_fen": min(sku.price_fen, override.unit_price_fen),
        }
    ]

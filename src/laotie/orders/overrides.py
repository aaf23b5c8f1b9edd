"""Server-side prices (``PriceOverride``, a live flash sale) on an order line: which SKU's units come
from a reservation, the merchant-funded discount the line records, and where those units go when the
order is cancelled unpaid (or refunded before shipping).

A line sold through an override records ``{"kind": ..., "reference_id": ...}`` in its discounts. The
domain that owns the reservation (``live`` for ``flash_sale``) registers a release for its kind: the
cancelling transaction calls it, and it either takes the units back into the reservation (True) or
declines (False: the reservation is over, e.g. the session ended and its unsold units already went
back), and then they go back to the SKU's stock. Either way, once: only the cancel that won the
order's state change releases anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.orders.schemas import PriceOverride

log = logging.getLogger(__name__)

# (session, reference_id, buyer_id, quantity) -> whether the reservation took the units back.
Release = Callable[[Session, int, int, int], bool]
_releases: dict[str, Release] = {}


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


def on_release(kind: str, release: Release) -> None:
    """Register where a cancelled order's units of an override ``kind`` go (one release per kind)."""
    _releases[kind] = release


def release(session: Session, line_discounts: list[dict[str, Any]], buyer_id: int, quantity: int) -> bool:
    """Hand a cancelled line's units to the reservation they came from. False when the line took
    nothing from a reservation, or its reservation is over: the caller returns them to the SKU."""
    for entry in line_discounts or []:
        # Only override entries carry ``reference_id`` (promotions' discounts say ``ref_id``).
        reference = entry.get("reference_id")
        if reference is None:
            continue
        kind = str(entry.get("kind"))
        handler = _releases.get(kind)
        if handler is None:
            # The owning domain was not imported in this process: the SKU gets the units (as it
            # would once the reservation closed), which never oversells either side.
            log.error("no release registered for %s reservations; units go to the SKU's stock", kind)
            return False
        return handler(session, int(reference), buyer_id, quantity)
    return False

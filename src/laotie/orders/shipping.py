"""Shipping at checkout: each shop order pays what the shop's shipping templates ask (logistics
quotes it); an address a shop does not deliver to refuses the request before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.logistics import service as logistics
from laotie.logistics.schemas import QuoteLine, ShipmentOut
from laotie.orders.models import Order


def quoter_for(session: Session, skus: Iterable[SkuForSale]) -> logistics.Quoter:
    """One read of every template the batch's products use."""
    return logistics.quoter(session, {sku.product_id for sku in skus})


def shipping_by_shop(
    quoter: logistics.Quoter, lines: list[tuple[SkuForSale, int]], address: dict[str, Any]
) -> dict[int, int]:
    """shop id -> shipping fee in fen for one request; REGION_NOT_SERVED names the first shop that
    does not deliver to the address."""
    by_shop: dict[int, list[QuoteLine]] = {}
    for sku, qty in lines:
        by_shop.setdefault(sku.shop_id, []).append(
            QuoteLine(product_id=sku.product_id, quantity=qty, unit_price_fen=sku.price_fen)
        )
    province = str(address.get("province_code", ""))
    return {shop_id: quoter.charge(shop_lines, province) for shop_id, shop_lines in sorted(by_shop.items())}


def tracking(session: Session, order: Order) -> ShipmentOut | None:
    """物流详情 of an order its caller may see (``orders.access``): null until it ships."""
    return logistics.shipment_of_order(session, order.id)

"""Shipping at checkout: each shop order pays what the shop's shipping templates ask (logistics
quotes it); an address a shop does not deliver to refuses the request before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.core.auth import Principal
from laotie.logistics import service as logistics
from laotie.logistics.schemas import QuoteLine, ShipmentOut
from laotie.orders import errors
from laotie.orders.models import Order
from laotie.shops import service as shops


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


def buyer_tracking(session: Session, buyer: Principal, order_id: int) -> ShipmentOut | None:
    """物流详情 for the buyer's order: null until it ships."""
    order = session.get(Order, order_id)
    if order is None or order.buyer_id != buyer.user_id:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    return logistics.shipment_of_order(session, order_id)


def shop_tracking(session: Session, principal: Principal, shop_id: int, order_id: int) -> ShipmentOut | None:
    shops.require_shop_member(session, shop_id, principal)
    order = session.get(Order, order_id)
    if order is None or order.shop_id != shop_id:
        raise errors.ORDER_NOT_FOUND(order_id=order_id)
    return logistics.shipment_of_order(session, order_id)

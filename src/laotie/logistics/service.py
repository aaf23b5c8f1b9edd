"""The logistics domain's public face: templates, quotes, shipments and ship-by deadlines.

Orders (a higher layer) calls these: ``quoter``/``quote`` at checkout, ``check_waybill`` and
``create_shipment`` when a merchant ships, ``poll_tracking`` from its delivery path. Logistics tells
orders about delivery with the ``ShipmentDelivered`` event.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.logistics.carriers import carrier_list
from laotie.logistics.carriers import name_of as carrier_name
from laotie.logistics.deadlines import (
    close_deadline,
    get_policy,
    late_shipments,
    open_deadline,
    record_late,
    set_policy,
    shop_late_shipments,
)
from laotie.logistics.quoting import (
    Quoter,
    consolidation_leg,
    one_piece,
    province_code_of,
    quote,
    quoter,
    shop_templates,
    short_name,
)
from laotie.logistics.sandbox_advance import advance as sandbox_advance
from laotie.logistics.sandbox_advance import enabled as sandbox_carrier_enabled
from laotie.logistics.schemas import Quote, QuoteLine
from laotie.logistics.shipments import (
    buyer_tracking,
    check_waybill,
    create_shipment,
    poll_tracking,
    set_network,
    shipment_of_order,
    shop_tracking,
)
from laotie.logistics.templates import (
    create_template,
    delete_template,
    free_shipping_of,
    get_product_shipping,
    get_template,
    list_templates,
    set_product_shipping,
    update_template,
)

__all__ = [
    "Quoter",
    "buyer_tracking",
    "carrier_list",
    "carrier_name",
    "check_waybill",
    "close_deadline",
    "consolidation_leg",
    "create_shipment",
    "create_template",
    "delete_template",
    "free_shipping_of",
    "get_policy",
    "get_product_shipping",
    "get_template",
    "late_shipments",
    "list_templates",
    "one_piece",
    "open_deadline",
    "poll_tracking",
    "product_quote",
    "province_code_of",
    "quote",
    "quoter",
    "record_late",
    "sandbox_advance",
    "sandbox_carrier_enabled",
    "set_network",
    "set_policy",
    "set_product_shipping",
    "shipment_of_order",
    "shop_late_shipments",
    "shop_templates",
    "shop_tracking",
    "short_name",
    "update_template",
]


def product_quote(
    session: Session, product_id: int, region: str, quantity: int = 1, sku_id: int | None = None
) -> Quote:
    """What a product page shows for shipping to a region: 包邮 / 运费 ¥x / 新疆地区集运包邮 / 该地区不配送."""
    product = catalog.get_listed(session, product_id)
    price = next((s.price_fen for s in product.skus if s.id == sku_id), product.min_price_fen)
    line = QuoteLine(product_id=product_id, quantity=quantity, unit_price_fen=price)
    return quote(session, product.shop_id, [line], region)

"""The catalog's public face: products, SKUs, prices, images, review and the buyer shelf.

Other domains and the routes use only these functions (plain functions over a Session, returning
schemas). The work is split by use case: ``products`` (create, edit, prices, stock), ``lifecycle``
(states, review, the event trail, the rule for editing after review), ``images`` and ``listing``.
"""

from __future__ import annotations

from laotie.catalog.detail_reads import cached_detail_document
from laotie.catalog.filing import refile_products
from laotie.catalog.http_cache import answer as cached_answer
from laotie.catalog.http_cache import cache_for as read_cache_for
from laotie.catalog.http_cache import detail_build, detail_key, shelf_build, shelf_key
from laotie.catalog.http_cache import ready as cached_read
from laotie.catalog.http_cache import ready_in as cached_read_in
from laotie.catalog.images import StoredFile, add_image, delete_image, image_file, process_image
from laotie.catalog.lifecycle import (
    ACTIONS,
    approve,
    ban,
    delist,
    governance_delist,
    governance_relist,
    inspect_product,
    product_events,
    reject,
    relist,
    staff_delist,
    submit_for_review,
)
from laotie.catalog.listing import (
    get_listed,
    is_visible,
    list_listed,
    list_shop_products,
    listed_cards,
    product_count,
    product_ids_after,
    review_queue,
    search_facts,
    shop_product_ids,
)
from laotie.catalog.products import (
    create_product,
    get_product,
    price_history,
    set_sku_price,
    set_sku_stock,
    update_product,
)
from laotie.catalog.stock import return_stock, skus_for_sale, take_stock

__all__ = [
    "ACTIONS",
    "StoredFile",
    "add_image",
    "approve",
    "ban",
    "cached_answer",
    "cached_detail_document",
    "cached_read",
    "cached_read_in",
    "create_product",
    "delete_image",
    "delist",
    "detail_build",
    "detail_key",
    "get_listed",
    "get_product",
    "governance_delist",
    "governance_relist",
    "image_file",
    "inspect_product",
    "is_visible",
    "list_listed",
    "list_shop_products",
    "listed_cards",
    "price_history",
    "process_image",
    "product_count",
    "product_events",
    "product_ids_after",
    "read_cache_for",
    "refile_products",
    "reject",
    "relist",
    "return_stock",
    "review_queue",
    "search_facts",
    "set_sku_price",
    "set_sku_stock",
    "shelf_build",
    "shelf_key",
    "shop_product_ids",
    "skus_for_sale",
    "staff_delist",
    "submit_for_review",
    "take_stock",
    "update_product",
]

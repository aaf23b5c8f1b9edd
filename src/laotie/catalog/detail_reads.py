"""A product's detail as the buyer reads it: a plain document from two indexed Core queries, kept
for at most ``core.read_cache``'s bound (one second) and shared by the JSON detail and the product
page. The shelf's reads and the shared JSON helpers are in ``catalog.public_reads``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, literal_column, null, select, union_all

from laotie.catalog.listing import CARD_COLUMNS, visible_conditions, with_shop_and_cover
from laotie.catalog.models import Image, Product, Sku
from laotie.catalog.public_reads import Reader, card, dumps
from laotie.catalog.views import image_url, thumb_url
from laotie.categories import service as categories
from laotie.core.driver_select import DriverSelect
from laotie.core.read_cache import ReadCache

# A product's detail, built once: constructing a statement costs more than running it on an
# indexed lookup. The card's columns first (``card`` reads them by position), then the detail's.
_DETAIL = with_shop_and_cover(
    select(
        *CARD_COLUMNS,
        Product.category_id,
        Product.description,
        Product.size_chart,
        Product.attributes,
        Product.purchase_limit,
        Product.total_stock,
        Product.listed_at,
    )
).where(Product.id == bindparam("pid"), *visible_conditions())
# Its active SKUs (by id) and its images (by position) in one statement: each statement's Python
# costs several times SQLite's answer. The SKUs' row comes first, so their JSON ``attrs`` type the
# column. Columns: kind, order, id, attrs, price / width, original / height, stock, code / type.
_PARTS_OF = union_all(
    select(
        literal_column("0", Integer).label("kind"),
        Sku.id.label("o"),
        Sku.id.label("id"),
        Sku.attrs.label("attrs"),
        Sku.price_fen.label("n1"),
        Sku.original_price_fen.label("n2"),
        Sku.stock.label("n3"),
        Sku.sku_code.label("code"),
    ).where(Sku.product_id == bindparam("pid"), Sku.active.is_(True)),
    select(
        literal_column("1", Integer),
        Image.position,
        Image.id,
        null(),
        Image.width,
        Image.height,
        null(),
        Image.content_type,
    ).where(Image.product_id == bindparam("pid")),
).subquery("parts")
_PARTS = select(_PARTS_OF).order_by(_PARTS_OF.c.kind, _PARTS_OF.c.o)
# Both on the driver's own cursor: SQLAlchemy's execute of these cost eight times their driver's.
_DETAIL_ROW = DriverSelect(_DETAIL, ("pid",))
_PARTS_ROWS = DriverSelect(_PARTS, ("pid",))


def detail_document(reader: Reader, product_id: int) -> dict[str, Any] | None:
    """The buyer's product detail as a plain document, or ``None`` unless it is on the shelf.
    Two indexed queries: the product with its shop and cover, then its active SKUs and its images,
    each on the driver's cursor (``core.driver_select``). ``reader`` is a session or, on the hot
    path, a bare connection."""
    found = _DETAIL_ROW.rows(reader, pid=product_id)
    if not found:
        return None
    row = found[0]
    parts = _PARTS_ROWS.rows(reader, pid=product_id)
    return {
        **card(row),
        "category_id": row.category_id,
        "category_path": categories.path_of(reader, row.category_id) or [],
        "description": row.description,
        "size_chart": row.size_chart,
        "attributes": list(row.attributes or []),
        "purchase_limit": row.purchase_limit,
        "total_stock": row.total_stock,
        "skus": [
            {
                "id": s.id,
                "attrs": dict(s.attrs),
                "price_fen": s.n1,
                "original_price_fen": s.n2,
                "stock": s.n3,
                "sku_code": s.code,
                "active": True,
            }
            for s in parts
            if s.kind == 0
        ],
        "images": [
            {
                "id": i.id,
                "position": i.o,
                "url": image_url(product_id, i.id),
                "thumb_url": thumb_url(product_id, i.id),
                "width": i.n1,
                "height": i.n2,
                "content_type": i.code,
            }
            for i in parts
            if i.kind == 1
        ],
        "listed_at": row.listed_at,
    }


def cached_detail_document(cache: ReadCache, reader: Reader, product_id: int) -> dict[str, Any] | None:
    """``detail_document`` through ``cache``: the JSON detail and the product page share one read
    of a product. The document is shared: callers only read it."""
    return cache.value(f"doc|{product_id}", lambda: detail_document(reader, product_id))


def detail_body(reader: Reader, product_id: int, cache: ReadCache) -> bytes | None:
    document = cached_detail_document(cache, reader, product_id)
    return None if document is None else dumps(document)

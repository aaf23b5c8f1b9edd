"""The buyer's hot reads as ready JSON bytes: a shelf page here, a product's detail in
``catalog.detail_reads``.

These are the most frequent requests of the platform, so each is a few Core queries reading only
the columns shown, serialised once with orjson, and kept as bytes in this process's
``core.read_cache`` for at most its ``ttl`` (one second): price, stock and whether a product is on
the shelf are never older than that on any process. Placement never reads from here; it rereads
price, stock and the listing under its lock (``catalog.stock.skus_for_sale``).

The JSON is the same document ``ProductDetail`` / ``ShelfPage`` describe (the routes declare them
for the schema); ``tests`` compare the two field by field.
"""

from __future__ import annotations

import base64
import binascii
import functools
import threading
import time
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from laotie.catalog import errors
from laotie.catalog.listing import (
    CARD_COLUMNS,
    SHOP,
    card_query,
    category_condition,
    category_filter,
    like_pattern,
    visible_conditions,
)
from laotie.catalog.models import Product
from laotie.catalog.schemas import Sort
from laotie.catalog.views import thumb_url
from laotie.categories import errors as category_errors

# Shelf totals are counted at most once per TOTAL_TTL per filter: at a million products a count is
# the most expensive part of a page, and the pager's total may lag a few seconds without harm.
TOTAL_TTL = 5.0
_totals: dict[tuple[Any, ...], tuple[int, float]] = {}
# The whole shelf's and each category's totals come from one grouped count, at most this old.
COUNTS_TTL = 30.0
_category_totals: dict[tuple[Any, ...], tuple[dict[int, int], float]] = {}
_counting = threading.Lock()
_TOTALS_KEPT = 5_000

Reader = Session | Connection
_JSON = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_CARD_WIDTH = len(CARD_COLUMNS)

_ORDER: dict[str, tuple[tuple[Any, ...], bool]] = {
    # sort: (key columns in order, descending?) -- every order ends with the id, so keys are unique
    "default": ((Product.sales_count, Product.listed_at, Product.id), True),
    "newest": ((Product.listed_at, Product.id), True),
    "price_asc": ((Product.min_price_fen, Product.id), False),
    "price_desc": ((Product.min_price_fen, Product.id), True),
}


def _engine_of(reader: Reader) -> object:
    return reader.engine if isinstance(reader, Connection) else reader.get_bind()


def forget_totals() -> None:
    """Drop the counted totals (a catalogue write committed in this process)."""
    _totals.clear()
    _category_totals.clear()


def dumps(document: Any) -> bytes:
    return orjson.dumps(document, option=_JSON)


def card(row: Any) -> dict[str, Any]:
    pid, title, shop_id, shop_name, price, original, sales, cover_id = row[:_CARD_WIDTH]
    return {
        "id": pid,
        "title": title,
        "shop_id": shop_id,
        "shop_name": shop_name,
        "min_price_fen": price,
        "original_price_fen": original,
        "cover_url": thumb_url(pid, cover_id) if cover_id is not None else None,
        "sales_count": sales,
    }


# The shelf.


def encode_cursor(sort: str, values: tuple[Any, ...]) -> str:
    plain = [sort, *[v.isoformat() if isinstance(v, datetime) else v for v in values]]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, ...]:
    """The sort key the previous page ended on; BAD_CURSOR if it is not one of ours for ``sort``."""
    try:
        plain = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise errors.BAD_CURSOR() from None
    columns, _ = _ORDER[sort]
    if not isinstance(plain, list) or len(plain) != len(columns) + 1 or plain[0] != sort:
        raise errors.BAD_CURSOR()
    values: list[Any] = []
    for column, value in zip(columns, plain[1:], strict=True):
        if column is Product.listed_at:
            if not isinstance(value, str):
                raise errors.BAD_CURSOR()
            try:
                values.append(datetime.fromisoformat(value))
            except ValueError:
                raise errors.BAD_CURSOR() from None
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62:
            values.append(value)
        else:
            raise errors.BAD_CURSOR()
    return tuple(values)


# A shelf page's statement depends only on the shape of the question (its sort, which filters, how it
# pages); the values are bound. Each shape is built once per process, so a page costs its execution
# alone, not SQLAlchemy's construction and cache-key walk of a dozen clauses.
_LIMIT = bindparam("limit", type_=Integer)
_OFFSET = bindparam("offset", type_=Integer)


def _after(sort: str) -> ColumnElement[bool]:
    """Rows strictly after the cursor's key (``k0``, ``k1``, ... and ``cursor_id``) in the order of
    ``sort``: one row-value comparison, which both databases answer from the sort's index."""
    columns, descending = _ORDER[sort]
    bound = tuple_(*[bindparam(f"k{i}", type_=c.type) for i, c in enumerate(columns)])
    key = tuple_(*columns)
    # "At or after, but not the cursor's own row" is the same set (the id ends every key): PostgreSQL
    # estimates a row comparison by its first column alone, and with many ties there ("<" on
    # sales_count, every product at 0 sold) it expected no rows, hashed the whole branch (187,000
    # rows, 780 ms at a million) instead of walking the index and stopping after one page.
    not_itself = Product.id != bindparam("cursor_id", type_=Product.id.type)
    return and_(key <= bound if descending else key >= bound, not_itself)


@functools.cache
def _conditions(category: str | None, by_shop: bool, by_text: bool) -> tuple[ColumnElement[bool], ...]:
    """What a shelf shows: ``category`` is None or a kind of ``listing.category_filter``."""
    conditions = visible_conditions()
    if category is not None:
        conditions.append(category_condition(category))
    if by_shop:
        conditions.append(Product.shop_id == bindparam("shop_id", type_=Product.shop_id.type))
    if by_text:
        conditions.append(func.lower(Product.title).like(bindparam("pattern"), escape="\\"))
    return tuple(conditions)


@functools.cache
def _count_statement(category: str | None, by_shop: bool, by_text: bool) -> Select[Any]:
    return (
        select(func.count(Product.id))
        .join(SHOP, SHOP.c.id == Product.shop_id)
        .where(*_conditions(category, by_shop, by_text))
    )


@functools.cache
def _page_statement(
    sort: str, category: str | None, by_shop: bool, by_text: bool, paging: str
) -> Select[Any]:
    """``paging``: "first" (offset 0), "offset" or "cursor"."""
    conditions = _conditions(category, by_shop, by_text)
    columns, descending = _ORDER[sort]
    order = [c.desc() if descending else c.asc() for c in columns]
    query = card_query().add_columns(*columns[:-1])
    if paging == "cursor":
        query = query.where(*conditions, _after(sort))
    elif paging == "offset":
        # A deep page: find its ids first, touching only what the filter needs (the product row and
        # its shop), then read the cards of those ids alone. Joined directly, every skipped row had
        # its cover looked up too before the offset threw it away.
        page_ids = (
            select(Product.id)
            .join(SHOP, SHOP.c.id == Product.shop_id)
            .where(*conditions)
            .order_by(*order)
            .limit(_LIMIT)
            .offset(_OFFSET)
            .subquery()
        )
        query = query.join(page_ids, page_ids.c.id == Product.id)
    else:
        query = query.where(*conditions)
    return query.order_by(*order).limit(_LIMIT)


def _category_counts(reader: Reader) -> dict[int, int]:
    """Listed products of selling shops per category, counted in one pass at most once per
    ``COUNTS_TTL``: at a million products a count is a scan of the whole shelf (0.9 s on SQLite),
    which per category and per request was most of a shelf page's cost."""
    key = ("category counts", _engine_of(reader))
    known = _category_totals.get(key)
    if known is not None and known[1] > time.monotonic():
        return known[0]
    # One count at a time per process. Every shelf request of the moment used to count at once when
    # the counts expired (100 connections: a million-row scan each, shelf p99 3.5 s at a million on
    # PostgreSQL); now the others keep the last counts meanwhile, or wait for this one if none yet.
    if known is not None and not _counting.acquire(blocking=False):
        return known[0]
    if known is None:
        _counting.acquire()
    try:
        known = _category_totals.get(key)
        if known is not None and known[1] > time.monotonic():
            return known[0]  # counted by the thread this one waited for
        return _count_categories(reader, key)
    finally:
        _counting.release()


def _count_categories(reader: Reader, key: tuple[Any, ...]) -> dict[int, int]:
    now = time.monotonic()
    rows = reader.execute(
        select(Product.category_id, func.count(Product.id))
        .join(SHOP, SHOP.c.id == Product.shop_id)
        .where(*visible_conditions())
        .group_by(Product.category_id)
    ).all()
    counts = {int(category_id): int(n) for category_id, n in rows}
    _category_totals[key] = (counts, now + COUNTS_TTL)
    return counts


def _total(
    session: Reader,
    key: tuple[Any, ...],
    category: str | None,
    branch: list[int] | None,
    params: dict[str, Any],
) -> int:
    _, category_id, shop_id, text = key
    if shop_id is None and text is None:  # the whole shelf or a category: from the per-category counts
        counts = _category_counts(session)
        return sum(counts.values()) if category_id is None else sum(counts.get(c, 0) for c in branch or [])
    now = time.monotonic()
    known = _totals.get(key)
    if known is not None and known[1] > now:
        return known[0]
    statement = _count_statement(category, shop_id is not None, text is not None)
    total = session.execute(statement, params).scalar() or 0
    if len(_totals) >= _TOTALS_KEPT:
        _totals.clear()
    _totals[key] = (total, now + TOTAL_TTL)
    return total


def shelf_document(
    session: Reader,
    *,
    limit: int,
    offset: int,
    category_id: int | None,
    shop_id: int | None,
    q: str | None,
    sort: Sort,
    cursor: str | None,
) -> dict[str, Any]:
    """A shelf page: listed products of selling shops, ``category_id`` taking its whole branch,
    ``q`` matching the title. With ``cursor`` (the previous page's ``next_cursor``) the page starts
    right after the previous one's last product, whatever was listed meanwhile; ``offset`` is then
    ignored."""
    sort = sort if sort in _ORDER else "default"
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    category: str | None = None
    branch: list[int] | None = None
    if category_id is not None:
        found = category_filter(session, category_id)
        if found is None:
            raise category_errors.CATEGORY_NOT_FOUND(category_id=category_id)
        category, filter_values, branch = found
        params.update(filter_values)
    if shop_id is not None:
        params["shop_id"] = shop_id
    text = q.strip().lower() if q and q.strip() else None
    if text:
        params["pattern"] = like_pattern(text)
    total = _total(session, (_engine_of(session), category_id, shop_id, text), category, branch, params)
    paging = "cursor" if cursor else "offset" if offset else "first"
    if cursor:
        values = decode_cursor(cursor, sort)
        params.update({f"k{i}": v for i, v in enumerate(values)}, cursor_id=values[-1])
        offset = params["offset"] = 0
    statement = _page_statement(sort, category, shop_id is not None, text is not None, paging)
    rows = session.execute(statement, params).all()
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor(sort, (*tuple(last[_CARD_WIDTH:]), last[0]))
    return {
        "items": [card(r) for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_cursor": next_cursor,
    }

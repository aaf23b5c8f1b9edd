"""A product search over the replica (``replica.py``): the same filters, ranking, sorts and facets as
the SQL engine (``engine.py``), computed with array operations over the matching documents only.

Relevance is ``engine.text_score`` times ``rank_bp`` for every match (the SQL engine applies it to
the database's best 200 and orders deeper pages by the database's own relevance), so the first
pages agree and deeper pages are ranked the same way as the first.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from laotie.core import clock
from laotie.search.categorymap import CategoryMap
from laotie.search.engine import (
    ELSEWHERE,
    HEAD_IN_CATEGORY,
    HEAD_WEIGHT,
    NEW_SHOP_DAYS,
    SYNONYM_IN_TITLE,
    Query,
    facets_of,
)
from laotie.search.replica import BANDS, ProductTable
from laotie.search.schemas import Facets, ProductHit


def _mask(table: ProductTable, tokens: list[str], title: bool = True, aux: bool = True) -> np.ndarray:
    found = np.zeros(len(table), dtype=np.bool_)
    for token in tokens:
        if title:
            found[table.title.of(token)] = True
        if aux:
            found[table.aux.of(token)] = True
    return found


def candidates(table: ProductTable, q: Query) -> np.ndarray:
    """Positions of the listed documents that match the words and pass every filter."""
    c = table.columns
    if q.matching:
        masks = [_mask(table, alts) for alts in q.terms if alts]
        match = np.logical_or.reduce(masks) if q.any_term else np.logical_and.reduce(masks)
        found = np.flatnonzero(match & c["listed"])
    else:
        found = np.flatnonzero(c["listed"])
    f = q.filters
    keep = np.ones(len(found), dtype=np.bool_)
    if q.categories is not None:
        keep &= np.isin(c["category_id"][found], np.fromiter(q.categories, dtype=np.int64))
    if f.shop_id is not None:
        keep &= c["shop_id"][found] == f.shop_id
    low, high = f.price_range()
    if low is not None:
        keep &= c["price"][found] >= low
    if high is not None:
        keep &= c["price"][found] <= high
    for flag in ("free_shipping", "pay_later", "in_stock"):
        if getattr(f, flag):
            keep &= c[flag][found]
    if f.shop_band is not None:
        keep &= c["band"][found] == BANDS.index(f.shop_band)
    if f.new_shops_since is not None:
        keep &= c["opened_at"][found] >= f.new_shops_since.timestamp()
    return found[keep]


def text_scores(table: ProductTable, q: Query, found: np.ndarray) -> np.ndarray:
    """``engine.text_score`` for every document in ``found`` at once."""
    heads = q.heads or [False] * len(q.terms)
    total = np.zeros(len(found))
    weights = 0.0
    for alts, head in zip(q.terms, heads, strict=False):
        first = _mask(table, alts[:1], aux=False)[found]
        other = _mask(table, alts[1:], aux=False)[found]
        in_aux = _mask(table, alts, title=False)[found]
        got = np.select(
            [first, other, in_aux], [1.0, SYNONYM_IN_TITLE, HEAD_IN_CATEGORY if head else ELSEWHERE], 0.0
        )
        if head:
            got = np.where((got > 0) & in_aux & (got < HEAD_IN_CATEGORY + 0.2), got + 0.2, got)
        weight = HEAD_WEIGHT if head else 1.0
        total += weight * got
        weights += weight
    return total / weights if weights else np.ones(len(found))


def _order(table: ProductTable, q: Query, found: np.ndarray, sort: str, wanted: int) -> np.ndarray:
    """The first ``wanted`` of ``found`` in the sort's order (keys from last to first, ascending)."""
    c = table.columns
    doc = -c["doc_id"][found]
    rank, sales = -c["rank"][found], -c["sales"][found]
    if sort == "relevance" and q.matching:
        keys = [doc, -(text_scores(table, q, found) * c["rank"][found])]
    elif sort == "sales":
        keys = [doc, rank, sales]
    elif sort == "price_asc":
        keys = [doc, rank, c["price"][found]]
    elif sort == "price_desc":
        keys = [doc, rank, -c["price"][found]]
    elif sort == "new":
        keys = [doc, -c["published_at"][found]]
    else:  # browse, or relevance without words
        keys = [doc, sales, rank]
    primary = keys[-1].astype(np.float64)
    if wanted < len(found):
        # Only the documents that can reach the first ``wanted`` places (ties on the primary key kept).
        kth = np.partition(primary, wanted - 1)[wanted - 1]
        near = np.flatnonzero(primary <= kth)
        keys = [k[near] for k in keys]
        found = found[near]
    return found[np.lexsort(keys)][:wanted]


def page(table: ProductTable, q: Query, sort: str, limit: int, offset: int) -> list[ProductHit]:
    found = candidates(table, q)
    if offset >= len(found):
        return []
    chosen = _order(table, q, found, sort, offset + limit)[offset:]
    since = (clock.now() - timedelta(days=NEW_SHOP_DAYS)).timestamp()
    c = table.columns
    hits = []
    for i in chosen.tolist():
        title, shop_name, cover = table.texts[i]
        band = int(c["band"][i])
        hits.append(
            ProductHit(
                id=int(c["ref_id"][i]),
                title=title,
                shop_id=int(c["shop_id"][i]),
                shop_name=shop_name,
                min_price_fen=int(c["price"][i]),
                original_price_fen=int(c["original_price"][i]),
                cover_url=cover,
                sales_count=int(c["sales"][i]),
                free_shipping=bool(c["free_shipping"][i]),
                pay_later=bool(c["pay_later"][i]),
                in_stock=bool(c["in_stock"][i]),
                shop_band=BANDS[band] if band >= 0 else None,
                new_shop=bool(c["opened_at"][i] >= since),
            )
        )
    return hits


def facets(table: ProductTable, q: Query, cats: CategoryMap | None, under: int | None) -> tuple[int, Facets]:
    """The total and every facet, from the matches grouped by (category, shop band)."""
    found = candidates(table, q)
    c = table.columns
    if not len(found):
        return facets_of([], cats, under)
    group = c["category_id"][found] * 8 + (c["band"][found].astype(np.int64) + 1)
    keys, inverse = np.unique(group, return_inverse=True)
    price = c["price"][found]
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(keys)))
    low = np.minimum.reduceat(price[order], starts)
    high = np.maximum.reduceat(price[order], starts)
    counts = np.bincount(inverse, minlength=len(keys))
    sums = {
        flag: np.bincount(inverse, weights=c[flag][found].astype(np.float64), minlength=len(keys))
        for flag in ("free_shipping", "pay_later", "in_stock")
    }
    groups = [
        (
            int(key // 8) or None,
            BANDS[int(key % 8) - 1] if key % 8 else None,
            int(counts[g]),
            int(sums["free_shipping"][g]),
            int(sums["pay_later"][g]),
            int(sums["in_stock"][g]),
            int(low[g]),
            int(high[g]),
        )
        for g, key in enumerate(keys.tolist())
    ]
    return facets_of(groups, cats, under)

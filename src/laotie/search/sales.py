"""A paid order changes what search shows of its products only in their sales counters (已售, orders,
the popularity that follows them) and, at a sell-out, ``in_stock``: those columns are set from the
current totals, with the rank they move, instead of rebuilding the documents (the rebuild
tokenises title, category path, attributes and shop name with jieba and OpenCC, and reads shipping,
standing and scores, none of which a payment changes). A product without a document yet is
indexed in full, as before."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.orders import service as orders
from laotie.search import indexing
from laotie.search.models import DocKind, SearchDoc, change_stamp

_DOCS: Table = SearchDoc.__table__  # type: ignore[assignment]


def apply_sales(session: Session, product_ids: Iterable[int]) -> None:
    """Set these products' sales columns (and ``in_stock``) from the current totals; rerank them."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    indexed = set(
        session.scalars(
            select(SearchDoc.ref_id).where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id.in_(ids))
        )
    )
    missing = [i for i in ids if i not in indexed]
    if missing:
        indexing.index_products(session, missing)
    ids = [i for i in ids if i in indexed]
    if not ids:
        return
    sold = orders.product_sales(session, ids)
    stock = {f.product_id: f.total_stock > 0 for f in catalog.search_facts(session, ids)}
    rows = [
        {
            "pid": pid,
            "units": sold.get(pid, (0, 0))[0],
            "n": sold.get(pid, (0, 0))[1],
            "stocked": stock.get(pid, False),
        }
        for pid in ids
        if pid in stock  # a product gone from the catalog keeps its hidden document as it is
    ]
    if not rows:
        return
    session.execute(
        update(_DOCS)
        .where(_DOCS.c.kind == DocKind.PRODUCT, _DOCS.c.ref_id == bindparam("pid"))
        .values(
            sales=bindparam("units"),
            orders=bindparam("n"),
            popularity=bindparam("units"),
            in_stock=bindparam("stocked"),
            indexed_at=change_stamp(session),
        ),
        rows,
    )
    indexing.rerank(session, DocKind.PRODUCT, [r["pid"] for r in rows])

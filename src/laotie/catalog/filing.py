"""Where a product is filed: its category and the copies of that category's ancestors.

The shelf filters a category branch on ``category_l1_id`` / ``category_l2_id`` (the category's
ancestors at levels 1 and 2), each the second column of an index in the shelf's default order, so a
branch of any size is one index range read in order. Those copies are written here and only here,
together with ``category_id``; categories are only ever added, never moved, so a category's lineage
does not change after products are filed under it. ``refile_products`` recomputes the copies (for a
future category move, and for rows written around the services); ``stale_products`` finds rows
whose copies disagree with the tree (the tests run it after every kind of write).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from laotie.catalog.models import Product
from laotie.categories import service as categories


def ancestors(lineage: Sequence[int]) -> tuple[int | None, int | None]:
    """``(category_l1_id, category_l2_id)`` for a category whose ids from the root are ``lineage``."""
    return (lineage[0] if lineage else None, lineage[1] if len(lineage) > 1 else None)


def file_under(session: Session, product: Product, category_id: int) -> None:
    """Set a product's category and, with it, the copies of its ancestors (from the database)."""
    l1, l2 = ancestors(categories.lineage_ids(session, category_id))
    product.category_id = category_id
    product.category_l1_id = l1
    product.category_l2_id = l2


_PRODUCTS = Product.__table__
assert isinstance(_PRODUCTS, Table)
# Core, not an ORM update: executed with a list of rows, an ORM update means "by primary key".
_REFILE = (
    update(_PRODUCTS)
    .where(_PRODUCTS.c.category_id == bindparam("cid"))
    .values(category_l1_id=bindparam("l1"), category_l2_id=bindparam("l2"))
)


def refile_products(session: Session | Connection, category_ids: Sequence[int] | None = None) -> None:
    """Recompute the ancestor copies of the products filed under ``category_ids`` (every category
    when ``None``) from the tree in the database: one statement per category."""
    lineages = categories.all_lineages(session)
    wanted = lineages if category_ids is None else {c: lineages[c] for c in category_ids if c in lineages}
    rows = [{"cid": cid, "l1": ancestors(ids)[0], "l2": ancestors(ids)[1]} for cid, ids in wanted.items()]
    if rows:
        session.execute(_REFILE, rows)


def stale_products(session: Session | Connection, limit: int = 100) -> list[int]:
    """Ids of products whose ancestor copies disagree with the category tree (should be none)."""
    stale: list[int] = []
    for cid, ids in categories.all_lineages(session).items():
        l1, l2 = ancestors(ids)
        wrong = or_(Product.category_l1_id.is_distinct_from(l1), Product.category_l2_id.is_distinct_from(l2))
        stale.extend(
            session.scalars(select(Product.id).where(Product.category_id == cid, wrong).limit(limit))
        )
    return sorted(stale)[:limit]

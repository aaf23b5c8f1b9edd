"""The category tree that products and shops are filed under.

A category is only ever added, never moved: each product keeps a copy of its category's first two
ancestors (``catalog_product.category_l1_id`` / ``category_l2_id``, the shelf's branch filter), which
stays right only while a category's lineage cannot change. A move would have to refile the
products of the branch it moves (``catalog.service.refile_products``) in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from laotie.categories import errors, snapshot
from laotie.categories.models import Category
from laotie.categories.schemas import CategoryCreate, CategoryNode, CategoryOut
from laotie.categories.tree import DEFAULT_TREE, Node


def _path(session: Session, category: Category) -> list[str]:
    names = [category.name]
    parent_id = category.parent_id
    while parent_id is not None:
        parent = session.get(Category, parent_id)
        assert parent is not None
        names.append(parent.name)
        parent_id = parent.parent_id
    return names[::-1]


def _is_leaf(session: Session, category_id: int) -> bool:
    return session.scalar(select(func.count()).where(Category.parent_id == category_id)) == 0


def category_out(session: Session, category: Category) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        parent_id=category.parent_id,
        name=category.name,
        level=category.level,
        fee_rate_bp=category.fee_rate_bp,
        required_qualifications=list(category.required_qualifications),
        return_exempt=category.return_exempt,
        is_leaf=_is_leaf(session, category.id),
        path=_path(session, category),
    )


def get_category(session: Session, category_id: int) -> CategoryOut:
    category = session.get(Category, category_id)
    if category is None:
        raise errors.CATEGORY_NOT_FOUND(category_id=category_id)
    return category_out(session, category)


def require_leaf(session: Session, category_id: int) -> CategoryOut:
    """Products are filed under leaf categories only."""
    out = get_category(session, category_id)
    if not out.is_leaf:
        raise errors.CATEGORY_NOT_LEAF(category_id=category_id)
    return out


def top_level_of(session: Session, category_id: int) -> int:
    category = session.get(Category, category_id)
    if category is None:
        raise errors.CATEGORY_NOT_FOUND(category_id=category_id)
    while category.parent_id is not None:
        parent = session.get(Category, category.parent_id)
        assert parent is not None
        category = parent
    return category.id


def lineage_ids(session: Session, category_id: int) -> list[int]:
    """Ids from the root down to ``category_id``, read from the database (for writes, not the
    process's copy of the tree); CATEGORY_NOT_FOUND if there is no such category."""
    category = session.get(Category, category_id)
    if category is None:
        raise errors.CATEGORY_NOT_FOUND(category_id=category_id)
    ids = [category.id]
    while category.parent_id is not None:
        parent = session.get(Category, category.parent_id)
        assert parent is not None
        ids.append(parent.id)
        category = parent
    return ids[::-1]


def all_lineages(session: Session | Connection) -> dict[int, tuple[int, ...]]:
    """Every category's ids from the root down to it, read from the database in one query."""
    parent: dict[int, int | None] = dict(session.execute(select(Category.id, Category.parent_id)).all())
    lineages: dict[int, tuple[int, ...]] = {}
    for cid in parent:
        ids: list[int] = []
        at: int | None = cid
        while at is not None and at in parent and len(ids) <= len(parent):
            ids.append(at)
            at = parent[at]
        lineages[cid] = tuple(reversed(ids))
    return lineages


def descendant_ids(session: Session, category_id: int) -> list[int]:
    """The category and everything below it, for listing a branch's products."""
    found = [category_id]
    frontier = [category_id]
    while frontier:
        frontier = list(session.scalars(select(Category.id).where(Category.parent_id.in_(frontier))))
        found.extend(frontier)
    return found


def path_of(session: Session | Connection, category_id: int) -> list[str] | None:
    """Root-to-leaf names of a category from this process's copy of the tree (hot reads);
    ``None`` if there is no such category."""
    return snapshot.path_of(session, category_id)


def branch_of(session: Session | Connection, category_id: int) -> list[int] | None:
    """The category and all below it, from this process's copy of the tree (the shelf's filter);
    ``None`` if there is no such category."""
    return snapshot.branch_of(session, category_id)


def lineage_of(session: Session | Connection, category_id: int) -> list[int] | None:
    """Ids from the root down to a category, from this process's copy of the tree (hot reads);
    ``None`` if there is no such category."""
    return snapshot.lineage_of(session, category_id)


def forget_tree() -> None:
    """Drop this process's copies of the tree (a category was written through this process)."""
    snapshot.forget()


def tree(session: Session) -> list[CategoryNode]:
    rows = session.scalars(select(Category).order_by(Category.level, Category.position, Category.id)).all()
    nodes = {r.id: CategoryNode(id=r.id, name=r.name, level=r.level) for r in rows}
    roots: list[CategoryNode] = []
    for r in rows:
        (nodes[r.parent_id].children if r.parent_id in nodes else roots).append(nodes[r.id])
    return roots


def list_categories(session: Session, parent_id: int | None = None) -> list[CategoryOut]:
    rows = session.scalars(
        select(Category)
        .where(Category.parent_id == parent_id if parent_id else Category.parent_id.is_(None))
        .order_by(Category.position, Category.id)
    ).all()
    return [category_out(session, r) for r in rows]


def create_category(session: Session, body: CategoryCreate) -> CategoryOut:
    level = 1
    if body.parent_id is not None:
        parent = get_category(session, body.parent_id)
        level = parent.level + 1
    clash = select(Category.id).where(
        Category.name == body.name,
        Category.parent_id == body.parent_id if body.parent_id else Category.parent_id.is_(None),
    )
    if session.scalar(clash) is not None:
        raise errors.CATEGORY_EXISTS()
    position = (
        session.scalar(
            select(func.count()).where(
                Category.parent_id == body.parent_id if body.parent_id else Category.parent_id.is_(None)
            )
        )
        or 0
    )
    row = Category(
        parent_id=body.parent_id,
        name=body.name,
        level=level,
        position=position,
        fee_rate_bp=body.fee_rate_bp,
        required_qualifications=list(body.required_qualifications),
        return_exempt=body.return_exempt,
    )
    session.add(row)
    session.flush()
    snapshot.forget()  # this process sees it at once; the others within snapshot.MAX_AGE_SECONDS
    return category_out(session, row)


def seed_default_tree(session: Session) -> int:
    """Insert the default tree if the table is empty; returns how many categories were added."""
    if session.scalar(select(func.count()).select_from(Category)):
        return 0
    added = 0

    def insert(node: Node, parent_id: int | None, level: int, position: int) -> None:
        nonlocal added
        row = Category(
            parent_id=parent_id,
            name=node.name,
            level=level,
            position=position,
            fee_rate_bp=node.fee_rate_bp,
            required_qualifications=list(node.qualifications),
            return_exempt=node.return_exempt,
        )
        session.add(row)
        session.flush()
        added += 1
        for i, child in enumerate(node.children):
            insert(child, row.id, level + 1, i)

    for i, root in enumerate(DEFAULT_TREE):
        insert(root, None, 1, i)
    return added


def leaf_ids(session: Session) -> list[int]:
    parents = select(Category.parent_id).where(Category.parent_id.is_not(None))
    return list(session.scalars(select(Category.id).where(Category.id.not_in(parents)).order_by(Category.id)))


def fee_rates(session: Session, category_ids: list[int]) -> dict[int, int]:
    """Platform fee rate (basis points) per category, for pricing orders in one query."""
    rows = session.execute(
        select(Category.id, Category.fee_rate_bp).where(Category.id.in_(category_ids))
    ).all()
    return {cid: rate for cid, rate in rows}


def return_exemptions(session: Session, category_ids: list[int]) -> dict[int, bool]:
    """Which categories are excluded from 7-day no-reason returns, for copying onto order lines."""
    rows = session.execute(
        select(Category.id, Category.return_exempt).where(Category.id.in_(category_ids))
    ).all()
    return {cid: bool(exempt) for cid, exempt in rows}

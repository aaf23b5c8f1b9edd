"""What buyers, merchants and reviewers see in lists: the shelf, a shop's products, the review queue.

The buyer shelf is the hottest read of the platform, so a page is one query: products joined to
their shop (name, and whether it is selling) and to their cover image, with the counts from a
second query. Filters and sorts run on indexes over (status, category_id), (status, min_price_fen),
(status, listed_at) and (status, sales_count); a category branch on (status, category_l1_id or
category_l2_id, sales_count) (``category_filter``).

Joining the shop here reads three columns of the shops domain's table directly (``SHOP``), not
through ``shops.service``: the shelf must drop a frozen shop's goods the moment it is frozen, in the
same query that pages them, and the shops service has no selectable to offer for that. This is the
same coupling as the foreign key ``catalog_product.shop_id`` already has, limited to id, name and
status, and the set of selling statuses still comes from ``shops.service.SELLING``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    column,
    func,
    select,
    table,
)
from sqlalchemy.orm import Session, aliased, selectinload

from laotie.catalog import errors
from laotie.catalog.models import Image, Product, ProductStatus
from laotie.catalog.schemas import ProductCard, ProductDetail, ProductFacts, ProductOut, Sort
from laotie.catalog.views import product_out, thumb_url
from laotie.categories import service as categories
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.shops import service as shops

SHOP = table("shops_shop", column("id"), column("name"), column("status"), column("opened_at"))
_SELLING = sorted(s.value for s in shops.SELLING)
COVER = aliased(Image, name="cover")
# What a card shows, in this order (``detail_reads`` builds the detail on the same columns).
CARD_COLUMNS = (
    Product.id,
    Product.title,
    Product.shop_id,
    SHOP.c.name,
    Product.min_price_fen,
    Product.min_original_price_fen,
    Product.sales_count,
    COVER.id,
)

_ORDER: dict[str, tuple[Any, ...]] = {
    "default": (Product.sales_count.desc(), Product.listed_at.desc(), Product.id.desc()),
    "newest": (Product.listed_at.desc(), Product.id.desc()),
    "price_asc": (Product.min_price_fen.asc(), Product.id.asc()),
    "price_desc": (Product.min_price_fen.desc(), Product.id.desc()),
}


def visible_conditions() -> list[ColumnElement[bool]]:
    """Buyers see a product that is listed, in a shop that is selling (a fresh list: callers add
    their own conditions to it)."""
    return [Product.status == ProductStatus.LISTED, SHOP.c.status.in_(_SELLING)]


# How the shelf filters a category, by the category's place in the tree: a leaf on category_id; a
# branch at level 1 or 2 on the copy of that ancestor each product keeps (``filing``), one range of
# ``ix_catalog_product_status_category_l{1,2}_id_sales_count`` read in the default order; a deeper
# branch (none in the default tree) on its leaves.
CategoryFilter = str  # "leaf", "l1", "l2" or "branch"


def category_filter(
    reader: Session | Connection, category_id: int
) -> tuple[CategoryFilter, dict[str, Any], list[int]] | None:
    """How to filter the shelf on ``category_id``'s branch: the kind of condition
    (``category_condition``), its bound values and the branch's ids (for the totals); ``None`` if
    there is no such category. From this process's copy of the tree."""
    branch = categories.branch_of(reader, category_id)
    lineage = categories.lineage_of(reader, category_id)
    if branch is None or lineage is None:
        return None
    if len(branch) == 1:
        return "leaf", {"category_id": category_id}, branch
    if len(lineage) <= 2:
        return f"l{len(lineage)}", {"category_id": category_id}, branch
    return "branch", {"branch": branch}, branch


def category_condition(kind: CategoryFilter, values: dict[str, Any] | None = None) -> ColumnElement[bool]:
    """The shelf's condition for a ``category_filter`` kind: with its ``values``, or bound by name
    (``category_id`` or ``branch``) for a statement built once and executed with them."""
    branch: BindParameter[Any]
    if values is None:
        value = bindparam("category_id", type_=Product.category_id.type)
        branch = bindparam("branch", expanding=True)
    else:
        value = bindparam("category_id", values.get("category_id"), type_=Product.category_id.type)
        branch = bindparam("branch", values.get("branch"), expanding=True)
    if kind == "leaf":  # read in order from (status, category_id, sales_count, ...)
        return Product.category_id == value
    if kind == "l1":
        return Product.category_l1_id == value
    if kind == "l2":
        return Product.category_l2_id == value
    # A deep branch of several leaves cannot be read in order from one index. "+ 0" keeps the
    # planners off the category index, so they walk the shelf's order and skip other categories' rows.
    return (Product.category_id + 0).in_(branch)


def like_pattern(q: str) -> str:
    cleaned = q.replace("\x00", "").strip().lower()
    escaped = cleaned.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_visible(session: Session, product_id: int) -> bool:
    """Whether buyers may see the product: listed, in a shop that is selling."""
    query = (
        select(Product.id)
        .join(SHOP, SHOP.c.id == Product.shop_id)
        .where(Product.id == product_id, *visible_conditions())
    )
    return session.scalar(query) is not None


def with_shop_and_cover(query: Select[Any]) -> Select[Any]:
    """``query`` (on products) joined to the product's shop and, when it has one, its cover."""
    return query.join(SHOP, SHOP.c.id == Product.shop_id).outerjoin(
        COVER, and_(COVER.product_id == Product.id, COVER.position == 0)
    )


def card_query() -> Select[Any]:
    """The columns of a card (``CARD_COLUMNS``), for products of any state: callers add ``visible_conditions()``."""
    return with_shop_and_cover(select(*CARD_COLUMNS))


def _card(row: Any) -> ProductCard:
    pid, title, shop_id, shop_name, price, original, sales, cover_id = row
    return ProductCard(
        id=pid,
        title=title,
        shop_id=shop_id,
        shop_name=shop_name,
        min_price_fen=price,
        original_price_fen=original,
        cover_url=thumb_url(pid, cover_id) if cover_id is not None else None,
        sales_count=sales,
    )


def list_listed(
    session: Session,
    params: PageParams,
    category_id: int | None = None,
    shop_id: int | None = None,
    q: str | None = None,
    sort: Sort = "default",
) -> Page[ProductCard]:
    """The buyer shelf: listed products of selling shops only. ``category_id`` takes its whole
    branch; ``q`` matches the title, case-insensitively."""
    conditions = visible_conditions()
    if category_id is not None:
        categories.get_category(session, category_id)  # CATEGORY_NOT_FOUND rather than an empty page
        found = category_filter(session, category_id)
        assert found is not None
        kind, values, _ = found
        conditions.append(category_condition(kind, values))
    if shop_id is not None:
        conditions.append(Product.shop_id == shop_id)
    if q and q.strip():
        conditions.append(func.lower(Product.title).like(like_pattern(q), escape="\\"))
    total = session.scalar(
        select(func.count(Product.id)).join(SHOP, SHOP.c.id == Product.shop_id).where(*conditions)
    )
    rows = session.execute(
        card_query()
        .where(*conditions)
        .order_by(*_ORDER.get(sort, _ORDER["default"]))
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return Page(items=[_card(r) for r in rows], total=total or 0, limit=params.limit, offset=params.offset)


def listed_cards(session: Session, product_ids: list[int]) -> list[ProductCard]:
    """Cards for the given products that buyers may see, in the order asked (live cart, search)."""
    if not product_ids:
        return []
    rows = session.execute(card_query().where(Product.id.in_(product_ids), *visible_conditions())).all()
    by_id = {r[0]: _card(r) for r in rows}
    return [by_id[i] for i in product_ids if i in by_id]


def get_listed(session: Session, product_id: int) -> ProductDetail:
    """A product page for buyers; PRODUCT_NOT_FOUND unless it is on the shelf. Three Core queries
    (``detail_reads.detail_document``), the category path from this process's copy of the tree."""
    from laotie.catalog.detail_reads import detail_document  # it builds on this module's queries

    document = detail_document(session, product_id)
    if document is None:
        raise errors.PRODUCT_NOT_FOUND(product_id=product_id)
    return ProductDetail.model_validate(document)


def _product_page(
    session: Session, conditions: list[ColumnElement[bool]], order: tuple[Any, ...], params: PageParams
) -> Page[ProductOut]:
    total = session.scalar(select(func.count(Product.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Product)
        .where(*conditions)
        .options(selectinload(Product.skus), selectinload(Product.images))
        .order_by(*order)
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return Page(items=[product_out(p) for p in rows], total=total, limit=params.limit, offset=params.offset)


def list_shop_products(
    session: Session,
    principal: Principal,
    shop_id: int,
    params: PageParams,
    status: ProductStatus | None = None,
    q: str | None = None,
) -> Page[ProductOut]:
    """A shop's own products in every state, newest edits first; members only."""
    shops.require_shop_member(session, shop_id, principal)
    conditions: list[ColumnElement[bool]] = [Product.shop_id == shop_id]
    if status is not None:
        conditions.append(Product.status == status)
    if q and q.strip():
        conditions.append(func.lower(Product.title).like(like_pattern(q), escape="\\"))
    return _product_page(session, conditions, (Product.updated_at.desc(), Product.id.desc()), params)


def review_queue(session: Session, params: PageParams) -> Page[ProductOut]:
    """Products waiting for review, longest waiting first."""
    conditions: list[ColumnElement[bool]] = [Product.status == ProductStatus.IN_REVIEW]
    return _product_page(session, conditions, (Product.submitted_at.asc(), Product.id.asc()), params)


def product_count(session: Session) -> int:
    """Every product, in every state (search's reindex shows progress against it)."""
    return session.scalar(select(func.count(Product.id))) or 0


def product_ids_after(session: Session, after_id: int, limit: int) -> list[int]:
    """Product ids above ``after_id`` in order, every state (search's reindex pages through them)."""
    return list(
        session.scalars(select(Product.id).where(Product.id > after_id).order_by(Product.id).limit(limit))
    )


def search_facts(session: Session, product_ids: list[int]) -> list[ProductFacts]:
    """Everything search indexes of these products, in two queries (products with shop and cover,
    then nothing else: attributes are on the row). Unknown ids are left out."""
    if not product_ids:
        return []
    visible = and_(*visible_conditions())
    rows = session.execute(
        select(
            Product.id,
            Product.shop_id,
            SHOP.c.name,
            SHOP.c.opened_at,
            Product.category_id,
            Product.title,
            Product.description,
            Product.attributes,
            Product.min_price_fen,
            Product.min_original_price_fen,
            Product.total_stock,
            Product.listed_at,
            visible.label("visible"),
            COVER.id,
        )
        .join(SHOP, SHOP.c.id == Product.shop_id)
        .outerjoin(COVER, and_(COVER.product_id == Product.id, COVER.position == 0))
        .where(Product.id.in_(product_ids))
        .order_by(Product.id)
    ).all()
    facts = []
    for r in rows:
        opened = r[3]
        if isinstance(opened, str):  # a raw table column on SQLite comes back as text
            opened = datetime.fromisoformat(opened)
        if opened is not None and opened.tzinfo is None:
            opened = opened.replace(tzinfo=UTC)
        values = tuple(str(v) for a in (r.attributes or []) for v in a.get("values", []))
        facts.append(
            ProductFacts(
                product_id=r.id,
                shop_id=r.shop_id,
                shop_name=r.name,
                shop_opened_at=opened,
                category_id=r.category_id,
                title=r.title,
                description=r.description or "",
                attribute_values=values,
                min_price_fen=r.min_price_fen,
                original_price_fen=r.min_original_price_fen,
                total_stock=r.total_stock,
                listed_at=r.listed_at,
                visible=bool(r.visible),
                cover_url=thumb_url(r.id, r[13]) if r[13] is not None else None,
            )
        )
    return facts


def shop_product_ids(session: Session, shop_id: int, statuses: list[ProductStatus]) -> list[int]:
    """Ids of the shop's products in ``statuses`` (governance delists a counterfeit seller's shelf)."""
    return list(
        session.scalars(
            select(Product.id)
            .where(Product.shop_id == shop_id, Product.status.in_(statuses))
            .order_by(Product.id)
        )
    )

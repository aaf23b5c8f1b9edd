"""Merchants create and edit products, their SKUs, prices and stock.

The rule for editing a product after review is in ``lifecycle`` (content goes back to review,
prices and stock do not). Every price a SKU takes, its first included, is written to
``catalog_price_change`` and announced as ``SkuPriceChanged``; any other edit, and a stock change,
is announced as ``ProductChanged`` (naming the fields).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import filing, rules
from laotie.catalog.access import editable_product, editable_sku, owned_product, owned_sku
from laotie.catalog.lifecycle import content_changed, record_event
from laotie.catalog.models import PriceChange, Product, ProductEventKind, ProductStatus, Sku
from laotie.catalog.schemas import PriceChangeOut, ProductCreate, ProductOut, ProductUpdate, SkuOut
from laotie.catalog.views import price_change_out, product_out, sku_out
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.events.catalog import ProductChanged, SkuPriceChanged
from laotie.moderation import service as moderation
from laotie.shops import service as shops


def _record_price(
    session: Session, product: Product, sku: Sku, old: int | None, actor_id: int | None, reason: str
) -> None:
    at = clock.now()
    session.add(
        PriceChange(
            sku_id=sku.id,
            old_price_fen=old,
            new_price_fen=sku.price_fen,
            changed_at=at,
            changed_by=actor_id,
            reason=reason[:200],
        )
    )
    emit(
        session,
        SkuPriceChanged(
            sku_id=sku.id,
            product_id=product.id,
            shop_id=product.shop_id,
            old_price_fen=old,
            new_price_fen=sku.price_fen,
            changed_at=at.isoformat(),
        ),
    )


def _changed(session: Session, product: Product, fields: list[str]) -> None:
    """Announce that what buyers see of the product may have changed."""
    emit(session, ProductChanged(product_id=product.id, shop_id=product.shop_id, fields=fields))


def refresh_summary(product: Product) -> None:
    """Keep the shelf's denormalised figures in step with the active SKUs."""
    active = [s for s in product.skus if s.active]
    cheapest = min(active, key=lambda s: (s.price_fen, s.original_price_fen))
    product.min_price_fen = cheapest.price_fen
    product.min_original_price_fen = cheapest.original_price_fen
    product.total_stock = sum(s.stock for s in active)


def create_product(session: Session, principal: Principal, shop_id: int, body: ProductCreate) -> ProductOut:
    """A new product, in draft, for a member of a shop that may sell."""
    shops.require_selling_shop(session, shop_id, principal)
    categories.require_leaf(session, body.category_id)
    attributes = rules.check_attributes(body.attributes)
    checked = rules.check_skus(attributes, body.skus)
    size_chart = rules.check_size_chart(body.size_chart)
    now = clock.now()
    product = Product(
        shop_id=shop_id,
        title=body.title,
        description=body.description,
        size_chart=size_chart,
        status=ProductStatus.DRAFT,
        review_reason="",
        purchase_limit=body.purchase_limit,
        attributes=attributes,
        min_price_fen=0,
        min_original_price_fen=0,
        total_stock=0,
        sales_count=0,
        created_at=now,
        updated_at=now,
    )
    filing.file_under(session, product, body.category_id)  # with its ancestors (the shelf's branches)
    product.skus = [
        Sku(
            attrs=c.attrs,
            attrs_key=c.key,
            price_fen=c.price_fen,
            original_price_fen=c.original_price_fen,
            stock=c.stock,
            sku_code=c.sku_code,
            active=True,
        )
        for c in checked
    ]
    product.images = []
    refresh_summary(product)
    session.add(product)
    session.flush()
    for sku in product.skus:
        _record_price(session, product, sku, None, principal.user_id, "created")
    record_event(session, product, ProductEventKind.CREATED, principal.user_id)
    _screen(session, product, ["title", "description"], principal.user_id)
    session.flush()
    return product_out(product)


_SURFACES = {"title": moderation.Surface.PRODUCT_TITLE, "description": moderation.Surface.PRODUCT_DESCRIPTION}


def _screen(session: Session, product: Product, fields: list[str], actor_id: int) -> None:
    """Screen the title and description: a hit is stored with the text and shown to the reviewer, who
    sees the listing in the review queue before it can go live (every listing is reviewed; an edit of
    either field sends a listed product back to review, see ``lifecycle.content_changed``)."""
    for field in fields:
        text = getattr(product, field)
        if field in _SURFACES and text and text.strip():
            moderation.screen(
                session,
                text=text,
                surface=_SURFACES[field],
                subject_kind="product",
                subject_id=product.id,
                author_id=actor_id,
            )


def _sync_skus(
    session: Session, product: Product, checked: list[rules.CheckedSku], actor_id: int
) -> tuple[bool, bool]:
    """Match SKUs by attribute values: update those kept, add new ones, deactivate the rest.
    Returns whether the set of variants changed and whether any price changed."""
    existing = {s.attrs_key: s for s in product.skus}
    wanted = {c.key for c in checked}
    variants_changed = False
    repriced: list[tuple[Sku, int]] = []
    added: list[Sku] = []
    for c in checked:
        sku = existing.get(c.key)
        if sku is None:
            sku = Sku(
                attrs=c.attrs,
                attrs_key=c.key,
                price_fen=c.price_fen,
                original_price_fen=c.original_price_fen,
                stock=c.stock,
                sku_code=c.sku_code,
                active=True,
            )
            product.skus.append(sku)
            added.append(sku)
            variants_changed = True
            continue
        if not sku.active:
            sku.active = True
            variants_changed = True
        if sku.price_fen != c.price_fen:
            repriced.append((sku, sku.price_fen))
            sku.price_fen = c.price_fen
        sku.original_price_fen = c.original_price_fen
        sku.stock = c.stock
        sku.sku_code = c.sku_code
    for key, sku in existing.items():
        if key not in wanted and sku.active:
            sku.active = False
            variants_changed = True
    session.flush()  # new SKUs need their ids for the price history
    for sku in added:
        _record_price(session, product, sku, None, actor_id, "created")
    for sku, old in repriced:
        _record_price(session, product, sku, old, actor_id, "edited")
    return variants_changed, bool(repriced)


def update_product(
    session: Session,
    principal: Principal,
    product_id: int,
    body: ProductUpdate,
    *,
    shop_id: int | None = None,
) -> ProductOut:
    """Edit a product. Content edits of a reviewed product send it back through review (see
    ``lifecycle``); price, stock, SKU codes and the purchase limit change without review."""
    product = editable_product(session, principal, product_id, shop_id=shop_id)
    sent = body.model_fields_set
    # Check everything before changing anything, so a refused edit writes nothing.
    if body.category_id is not None and body.category_id != product.category_id:
        categories.require_leaf(session, body.category_id)
    size_chart = rules.check_size_chart(body.size_chart) if "size_chart" in sent else product.size_chart
    attributes = (
        rules.check_attributes(body.attributes) if body.attributes is not None else product.attributes
    )
    checked = rules.check_skus(attributes, body.skus) if body.skus is not None else None

    content: list[str] = []
    if body.category_id is not None and body.category_id != product.category_id:
        filing.file_under(session, product, body.category_id)  # with its ancestors
        content.append("category_id")
    for field, new in (
        ("title", body.title),
        ("description", body.description),
    ):
        if new is not None and new != getattr(product, field):
            setattr(product, field, new)
            content.append(field)
    if size_chart != product.size_chart:
        product.size_chart = size_chart
        content.append("size_chart")
    if attributes != product.attributes:
        product.attributes = attributes
        content.append("attributes")
    trading: list[str] = []
    if "purchase_limit" in sent and body.purchase_limit != product.purchase_limit:
        product.purchase_limit = body.purchase_limit
        trading.append("purchase_limit")
    if checked is not None:
        variants_changed, repriced = _sync_skus(session, product, checked, principal.user_id)
        if variants_changed:
            content.append("skus")
        trading.append("skus")
        if repriced:
            trading.append("prices")
        refresh_summary(product)
    if content or trading:
        product.updated_at = clock.now()
        record_event(
            session,
            product,
            ProductEventKind.EDITED,
            principal.user_id,
            data={"content": content, "trading": trading},
        )
        _changed(session, product, content + trading)
    if content:
        _screen(session, product, content, principal.user_id)
        content_changed(session, product, principal.user_id, content)
    session.flush()
    return product_out(product)


def set_sku_price(
    session: Session,
    principal: Principal,
    sku_id: int,
    price_fen: int,
    reason: str = "",
    *,
    original_price_fen: int | None = None,
    shop_id: int | None = None,
) -> SkuOut:
    """A new price takes effect at once, without review. An original price below the new price
    is raised to it, so the crossed-out price never undercuts the real one."""
    sku, product = editable_sku(session, principal, sku_id, shop_id=shop_id)
    rules.check_price(price_fen)
    if original_price_fen is not None:
        sku.original_price_fen = rules.check_original_price(price_fen, original_price_fen)
    elif sku.original_price_fen < price_fen:
        sku.original_price_fen = price_fen
    old = sku.price_fen
    if price_fen != old:
        sku.price_fen = price_fen
        _record_price(session, product, sku, old, principal.user_id, reason.strip())
    refresh_summary(product)
    product.updated_at = clock.now()
    session.flush()
    return sku_out(sku)


def set_sku_stock(
    session: Session, principal: Principal, sku_id: int, stock: int, *, shop_id: int | None = None
) -> SkuOut:
    sku, product = editable_sku(session, principal, sku_id, shop_id=shop_id)
    sku.stock = rules.check_stock(stock)
    refresh_summary(product)
    product.updated_at = clock.now()
    _changed(session, product, ["stock"])
    session.flush()
    return sku_out(sku)


def get_product(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> ProductOut:
    """The merchant's view of one of its shop's products, in any state."""
    return product_out(owned_product(session, principal, product_id, shop_id=shop_id))


def price_history(
    session: Session, sku_id: int, *, principal: Principal | None = None, shop_id: int | None = None
) -> list[PriceChangeOut]:
    """Every price the SKU has had, oldest first. Given a principal, only its shop's members see it."""
    if principal is not None:
        owned_sku(session, principal, sku_id, shop_id=shop_id)
    rows = session.scalars(
        select(PriceChange)
        .where(PriceChange.sku_id == sku_id)
        .order_by(PriceChange.changed_at, PriceChange.id)
    ).all()
    return [price_change_out(r) for r in rows]

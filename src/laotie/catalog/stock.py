"""Stock moves for orders: reserve with one conditional update per SKU, give back on cancel.

``take_stock`` runs under the lock ``skus_for_sale(lock=True)`` took (PostgreSQL ``FOR UPDATE``;
SQLite's writer lock from ``BEGIN IMMEDIATE``), yet each UPDATE still checks ``stock >= n``: if the
numbers ever disagree, the update finds no row and the whole transaction fails rather than oversell.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.catalog.errors import STOCK_CONFLICT
from laotie.catalog.listing import SHOP, visible_conditions
from laotie.catalog.models import Product, Sku
from laotie.catalog.schemas import SkuForSale


def skus_for_sale(session: Session, sku_ids: list[int], *, lock: bool = False) -> dict[int, SkuForSale]:
    if not sku_ids:
        return {}
    visible = visible_conditions()
    query = (
        select(
            Sku.id,
            Sku.product_id,
            Product.shop_id,
            Product.category_id,
            Product.title,
            Sku.attrs,
            Sku.price_fen,
            Sku.stock,
            Product.purchase_limit,
            Sku.active,
            *[c.label(f"v{i}") for i, c in enumerate(visible)],
        )
        .join(Product, Product.id == Sku.product_id)
        .join(SHOP, SHOP.c.id == Product.shop_id)
        .where(Sku.id.in_(sorted(set(sku_ids))))
        .order_by(Sku.id)
    )
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(of=Sku)  # type: ignore[arg-type]
    found = {}
    for row in session.execute(query):
        sellable = bool(row.active) and all(row[10 + i] for i in range(len(visible)))
        found[row.id] = SkuForSale(
            sku_id=row.id,
            product_id=row.product_id,
            shop_id=row.shop_id,
            category_id=row.category_id,
            title=row.title,
            attrs=dict(row.attrs),
            price_fen=row.price_fen,
            stock=row.stock,
            purchase_limit=row.purchase_limit,
            sellable=sellable,
        )
    return found


def take_stock(session: Session, taken: dict[int, int], priced_at: dict[int, int] | None = None) -> None:
    """Reserve ``taken[sku_id]`` units of each SKU, in SKU order so concurrent writers lock alike.

    ``priced_at[sku_id]``: the price the caller decided at from an unlocked read; the update then also
    requires that price and an active SKU, so a price change committed in between is a STOCK_CONFLICT
    (decided again under lock) rather than a sale at the old price."""
    by_product: dict[int, int] = {}
    for sku_id, quantity in sorted(taken.items()):
        guard = [Sku.id == sku_id, Sku.stock >= quantity]
        if priced_at is not None:
            guard += [Sku.price_fen == priced_at[sku_id], Sku.active.is_(True)]
        row = session.execute(
            update(Sku).where(*guard).values(stock=Sku.stock - quantity).returning(Sku.product_id)
        ).first()
        if row is None:
            raise STOCK_CONFLICT(sku_id=sku_id)
        by_product[row.product_id] = by_product.get(row.product_id, 0) + quantity
    for product_id, quantity in sorted(by_product.items()):
        session.execute(
            update(Product).where(Product.id == product_id).values(total_stock=Product.total_stock - quantity)
        )


def return_stock(session: Session, sku_id: int, quantity: int) -> None:
    """Give reserved units back (a cancelled order); the caller makes sure this happens once."""
    row = session.execute(
        update(Sku).where(Sku.id == sku_id).values(stock=Sku.stock + quantity).returning(Sku.product_id)
    ).first()
    if row is not None:
        session.execute(
            update(Product)
            .where(Product.id == row.product_id)
            .values(total_stock=Product.total_stock + quantity)
        )

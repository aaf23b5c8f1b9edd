"""Loading a product or SKU on behalf of a merchant: only members of the product's shop get it.

Routes under ``/shops/{shop_id}/...`` pass ``shop_id``: the caller must be a member of that shop
(403 ``NOT_SHOP_MEMBER``), and a product of any other shop is ``PRODUCT_NOT_FOUND`` there. Without
``shop_id`` the product's own shop is checked. Writers lock the product row first, then its SKUs,
so concurrent edits of one product queue instead of interleaving.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import errors
from laotie.catalog.models import Product, ProductStatus, Sku
from laotie.core.auth import Principal
from laotie.shops import service as shops
from laotie.shops.schemas import ShopOut


def load_product(session: Session, product_id: int, *, for_update: bool = False) -> Product:
    query = select(Product).where(Product.id == product_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    product = session.scalar(query)
    if product is None:
        raise errors.PRODUCT_NOT_FOUND(product_id=product_id)
    return product


def check_member(session: Session, principal: Principal, shop_id: int, *, selling: bool = False) -> ShopOut:
    if selling:
        return shops.require_selling_shop(session, shop_id, principal)
    return shops.require_shop_member(session, shop_id, principal)


def owned_product(
    session: Session,
    principal: Principal,
    product_id: int,
    *,
    shop_id: int | None = None,
    selling: bool = False,
    for_update: bool = False,
) -> Product:
    """The product if ``principal`` belongs to its shop; ``selling`` also needs the shop open."""
    if shop_id is not None:
        check_member(session, principal, shop_id, selling=selling)
        product = load_product(session, product_id, for_update=for_update)
        if product.shop_id != shop_id:
            raise errors.PRODUCT_NOT_FOUND(product_id=product_id)
        return product
    product = load_product(session, product_id, for_update=for_update)
    check_member(session, principal, product.shop_id, selling=selling)
    return product


def editable_product(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> Product:
    """A member's product, locked for writing; a banned product takes no more changes."""
    product = owned_product(session, principal, product_id, shop_id=shop_id, for_update=True)
    if product.status == ProductStatus.BANNED:
        raise errors.PRODUCT_BANNED(product_id=product_id)
    return product


def owned_sku(
    session: Session,
    principal: Principal,
    sku_id: int,
    *,
    shop_id: int | None = None,
    for_update: bool = False,
) -> tuple[Sku, Product]:
    if shop_id is not None:
        check_member(session, principal, shop_id)
    product_id = session.scalar(select(Sku.product_id).where(Sku.id == sku_id))
    if product_id is None:
        raise errors.SKU_NOT_FOUND(sku_id=sku_id)
    product = load_product(session, product_id, for_update=for_update)
    if shop_id is not None and product.shop_id != shop_id:
        raise errors.SKU_NOT_FOUND(sku_id=sku_id)
    if shop_id is None:
        check_member(session, principal, product.shop_id)
    query = select(Sku).where(Sku.id == sku_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    sku = session.scalar(query)
    assert sku is not None
    return sku, product


def editable_sku(
    session: Session, principal: Principal, sku_id: int, *, shop_id: int | None = None
) -> tuple[Sku, Product]:
    sku, product = owned_sku(session, principal, sku_id, shop_id=shop_id, for_update=True)
    if product.status == ProductStatus.BANNED:
        raise errors.PRODUCT_BANNED(product_id=product.id)
    return sku, product

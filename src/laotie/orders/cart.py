"""The buyer's cart across shops. It remembers the price the buyer saw, so the cart can show what
changed since; checkout then asks for the prices shown and refuses stale ones (PRICE_CHANGED)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.orders import errors
from laotie.orders.models import CartItem
from laotie.orders.schemas import CartItemIn, CartLineOut, CartOut

MAX_CART_ITEMS = 120


def add(session: Session, buyer_id: int, body: CartItemIn) -> CartOut:
    sku = catalog.skus_for_sale(session, [body.sku_id]).get(body.sku_id)
    if sku is None or not sku.sellable:
        raise errors.SKU_UNAVAILABLE(sku_id=body.sku_id)
    item = session.scalar(
        select(CartItem).where(CartItem.buyer_id == buyer_id, CartItem.sku_id == body.sku_id)
    )
    if item is None:
        count = (
            session.scalar(select(func.count()).select_from(CartItem).where(CartItem.buyer_id == buyer_id))
            or 0
        )
        if count >= MAX_CART_ITEMS:
            raise errors.TOO_MANY_LINES(max=MAX_CART_ITEMS)
        item = CartItem(buyer_id=buyer_id, sku_id=body.sku_id, quantity=0, added_at=clock.now())
        session.add(item)
    item.quantity = min(item.quantity + body.quantity, 999)
    item.price_seen_fen = sku.price_fen
    item.channel = body.attribution.channel
    item.live_session_id = body.attribution.live_session_id
    item.video_id = body.attribution.video_id
    item.creator_id = body.attribution.creator_id
    session.flush()
    return view(session, buyer_id)


def set_quantity(session: Session, buyer_id: int, sku_id: int, quantity: int) -> CartOut:
    item = session.scalar(select(CartItem).where(CartItem.buyer_id == buyer_id, CartItem.sku_id == sku_id))
    if item is None:
        raise errors.CART_ITEM_NOT_FOUND(sku_id=sku_id)
    item.quantity = quantity
    session.flush()
    return view(session, buyer_id)


def remove(session: Session, buyer_id: int, sku_ids: list[int]) -> CartOut:
    session.execute(delete(CartItem).where(CartItem.buyer_id == buyer_id, CartItem.sku_id.in_(sku_ids)))
    return view(session, buyer_id)


def view(session: Session, buyer_id: int) -> CartOut:
    items = session.scalars(select(CartItem).where(CartItem.buyer_id == buyer_id).order_by(CartItem.id)).all()
    skus = catalog.skus_for_sale(session, [i.sku_id for i in items])
    shops: dict[int, list[CartLineOut]] = {}
    total = 0
    for item in items:
        sku = skus.get(item.sku_id)
        available = sku is not None and sku.sellable and sku.stock >= item.quantity
        line = CartLineOut(
            sku_id=item.sku_id,
            product_id=sku.product_id if sku else 0,
            shop_id=sku.shop_id if sku else 0,
            title=sku.title if sku else "商品已失效",
            sku_attrs=sku.attrs if sku else {},
            quantity=item.quantity,
            price_seen_fen=item.price_seen_fen,
            current_price_fen=sku.price_fen if sku else None,
            price_changed=sku is not None and sku.price_fen != item.price_seen_fen,
            available=available,
            stock=sku.stock if sku else 0,
        )
        if available and sku is not None:
            total += sku.price_fen * item.quantity
        shops.setdefault(line.shop_id, []).append(line)
    return CartOut(shops=shops, total_fen=total)


def clear_bought(session: Session, buyer_id: int, sku_ids: list[int]) -> None:
    """After a checkout, what was bought leaves the cart."""
    session.execute(delete(CartItem).where(CartItem.buyer_id == buyer_id, CartItem.sku_id.in_(sku_ids)))

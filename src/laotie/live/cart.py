"""The live cart (小黄车): what a session sells, in the anchor's order, with one pinned (讲解中)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.live import errors
from laotie.live.flash import flash_out
from laotie.live.models import FlashSale, LiveCartItem, LiveRoom, LiveSession, SessionStatus
from laotie.live.rooms import load_session, own_session, require_state
from laotie.live.schemas import MAX_CART_ITEMS, CartItemOut, FlashSaleOut
from laotie.orders import service as orders

OPEN = {SessionStatus.SCHEDULED, SessionStatus.LIVE}


def _items(session: Session, session_id: int) -> list[LiveCartItem]:
    return list(
        session.scalars(
            select(LiveCartItem).where(LiveCartItem.session_id == session_id).order_by(LiveCartItem.position)
        )
    )


def view(session: Session, session_id: int) -> list[CartItemOut]:
    """The cart as viewers see it: only products still on the shelf, with their flash sales."""
    row, _ = load_session(session, session_id)
    items = _items(session, session_id)
    cards = {c.id: c for c in catalog.listed_cards(session, [i.product_id for i in items])}
    flashes: dict[int, list[FlashSaleOut]] = {}
    for sale in session.scalars(
        select(FlashSale).where(FlashSale.session_id == session_id).order_by(FlashSale.id)
    ):
        flashes.setdefault(sale.item_id, []).append(flash_out(sale, row.status == SessionStatus.LIVE))
    out = []
    for item in items:
        card = cards.get(item.product_id)
        if card is None:
            continue
        out.append(
            CartItemOut(
                id=item.id,
                product_id=item.product_id,
                shop_id=item.shop_id,
                title=card.title,
                cover_url=card.cover_url,
                min_price_fen=card.min_price_fen,
                position=item.position,
                pinned=row.pinned_item_id == item.id,
                commission_bp=item.commission_bp,
                flash_sales=flashes.get(item.id, []),
            )
        )
    return out


def add(session: Session, principal: Principal, session_id: int, product_id: int) -> list[CartItemOut]:
    row, room = own_session(session, principal, session_id)
    require_state(row, OPEN, "添加商品")
    product = catalog.get_listed(session, product_id)
    commission: int | None = None
    if room.shop_id is None or product.shop_id != room.shop_id:
        # A creator (or another shop's product): only what its merchant offers the alliance.
        commission = affiliate.offered_rate_bp(session, product_id) if room.shop_id is None else None
        if commission is None:
            raise errors.PRODUCT_NOT_ALLOWED(product_id=product_id)
    exists = session.scalar(
        select(LiveCartItem.id).where(
            LiveCartItem.session_id == row.id, LiveCartItem.product_id == product_id
        )
    )
    if exists is None:
        count, last = session.execute(
            select(func.count(), func.max(LiveCartItem.position)).where(LiveCartItem.session_id == row.id)
        ).one()
        if count >= MAX_CART_ITEMS:
            raise errors.CART_FULL(max=MAX_CART_ITEMS)
        session.add(
            LiveCartItem(
                session_id=row.id,
                product_id=product_id,
                shop_id=product.shop_id,
                position=(last or 0) + 1,
                commission_bp=commission,
                added_at=clock.now(),
            )
        )
        session.flush()
    return view(session, row.id)


def _item(session: Session, session_id: int, item_id: int) -> LiveCartItem:
    item = session.get(LiveCartItem, item_id)
    if item is None or item.session_id != session_id:
        raise errors.CART_ITEM_NOT_FOUND(item_id=item_id)
    return item


def remove(session: Session, principal: Principal, session_id: int, item_id: int) -> list[CartItemOut]:
    row, _ = own_session(session, principal, session_id)
    require_state(row, OPEN, "移除商品")
    item = _item(session, row.id, item_id)
    if session.scalar(select(FlashSale.id).where(FlashSale.item_id == item.id)) is not None:
        raise errors.SESSION_STATE(status="flash_sale", action="移除有秒杀的商品")
    if row.pinned_item_id == item.id:
        row.pinned_item_id = None
    session.delete(item)
    session.flush()
    return view(session, row.id)


def reorder(
    session: Session, principal: Principal, session_id: int, item_ids: list[int]
) -> list[CartItemOut]:
    row, _ = own_session(session, principal, session_id)
    require_state(row, OPEN, "调整顺序")
    items = {i.id: i for i in _items(session, row.id)}
    if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
        raise errors.CART_ORDER_MISMATCH(expected=sorted(items))
    for position, item_id in enumerate(item_ids, start=1):
        items[item_id].position = position
    session.flush()
    return view(session, row.id)


def pin(session: Session, principal: Principal, session_id: int, item_id: int | None) -> CartItemOut | None:
    """讲解中: the product being explained now (or none). Returns the pinned item for the broadcast."""
    row, _ = own_session(session, principal, session_id)
    require_state(row, OPEN, "讲解商品")
    if item_id is not None:
        _item(session, row.id, item_id)
    row.pinned_item_id = item_id
    session.flush()
    if item_id is None:
        return None
    return next((i for i in view(session, row.id) if i.id == item_id), None)


def pinned_item(session: Session, session_id: int) -> int | None:
    return session.scalar(select(LiveSession.pinned_item_id).where(LiveSession.id == session_id))


def for_attribution(session: Session, session_id: int) -> orders.LiveCart | None:
    """What orders verifies a live attribution against: on air now, the cart, whose room."""
    row = session.get(LiveSession, session_id)
    if row is None:
        return None
    room = session.get(LiveRoom, row.room_id)
    items = session.execute(
        select(LiveCartItem.product_id, LiveCartItem.shop_id).where(LiveCartItem.session_id == session_id)
    ).all()
    return orders.LiveCart(
        live=row.status == SessionStatus.LIVE,
        product_ids=frozenset(p for p, _ in items),
        shop_ids=frozenset(s for _, s in items),
        creator_id=room.owner_id if room is not None and room.shop_id is None else None,
    )


orders.on_live_lookup(for_attribution)

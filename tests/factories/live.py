"""Live rooms, sessions and flash sales for tests, through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.live import service as live
from laotie.live.schemas import FlashSaleIn, RoomIn, SessionIn
from tests.factories import make_user
from tests.factories.orders import OnSale, make_on_sale
from tests.factories.shops import principal_of


@dataclass(frozen=True)
class Anchor:
    user_id: int
    headers: dict[str, str]
    principal: Principal
    room_id: int
    stream_key: str
    shop_id: int | None


@dataclass(frozen=True)
class OnAir:
    anchor: Anchor
    session_id: int
    sale: OnSale
    item_id: int


def shop_anchor(session: Session, sale: OnSale) -> Anchor:
    """The shop owner of ``sale`` with the shop's live room."""
    principal = _owner(session, sale)
    room, key = live.open_room(session, principal, RoomIn(shop_id=sale.shop_id, title="店播间"))
    session.commit()
    return Anchor(principal.user_id, sale.owner_headers, principal, room.id, key.stream_key, sale.shop_id)


def _owner(session: Session, sale: OnSale) -> Principal:
    from laotie.shops.models import Shop

    shop = session.get(Shop, sale.shop_id)
    assert shop is not None
    return principal_of(session, shop.owner_id)


def creator_anchor(session: Session) -> Anchor:
    user_id, headers = make_user(session, Role.CREATOR, nickname="达人小王")
    principal = principal_of(session, user_id)
    room, key = live.open_room(session, principal, RoomIn(title="达人直播间"))
    session.commit()
    return Anchor(user_id, headers, principal, room.id, key.stream_key, None)


def on_air(session: Session, stock: int = 100, price_fen: int = 9900, start: bool = True) -> OnAir:
    """A shop's session (live unless ``start`` is false) with one product in its live cart."""
    sale = make_on_sale(session, stock=stock, price_fen=price_fen)
    anchor = shop_anchor(session, sale)
    out = live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="今晚秒杀专场"))
    if start:
        live.start_by_key(session, anchor.stream_key)
    cart = live.add_to_cart(session, anchor.principal, out.id, sale.product_id)
    session.commit()
    return OnAir(anchor, out.id, sale, cart[0].id)


def flash_sale(
    session: Session,
    air: OnAir,
    quantity: int = 10,
    price_fen: int = 1990,
    limit: int = 1,
    in_seconds: float = 0,
) -> int:
    body = FlashSaleIn(
        item_id=air.item_id,
        sku_id=air.sale.sku_id,
        price_fen=price_fen,
        quantity=quantity,
        per_buyer_limit=limit,
        starts_at=clock.now() + timedelta(seconds=in_seconds),
    )
    out = live.create_flash_sale(session, air.anchor.principal, air.session_id, body)
    session.commit()
    return out.id

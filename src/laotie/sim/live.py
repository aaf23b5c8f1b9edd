"""Live rooms for the demo: shops and creators on air now (one 讲解中 product, a 秒杀 opening minutes
after the demo starts), broadcasts coming up in the next hours, and broadcasts that ended yesterday
with an audience, comments and real paid orders, so their 直播复盘 has numbers.

Sessions start as nginx would start them (``start_by_key`` with the room's stream key); no video is
pushed. Yesterday's broadcasts are replayed with the platform clock set back (``cashier.at``).
The audience's comments, viewers and likes are written by the live hub's own store, as the hub
writes what it collects from WebSocket viewers.
"""

from __future__ import annotations

import random
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.storage import FileStorage
from laotie.core.uow import unit_of_work
from laotie.live import service as live
from laotie.live.realtime import store
from laotie.live.schemas import CartItemOut, FlashSaleIn, RoomIn, SessionIn
from laotie.moderation import service as moderation
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from laotie.sim import images
from laotie.sim.audience import Creator
from laotie.sim.cashier import Cashier, at
from laotie.sim.commerce import MarketShop, shop_price, stocked_sku
from laotie.sim.names import LIVE_COMMENTS
from laotie.sim.people import Shopper
from laotie.social import service as social
from laotie.social.schemas import TargetKind

LIVE_SHOPS = 8  # the first shops have rooms; so do all creators
STATES = ("live", "scheduled", "ended")
CART_SIZE = 5
FLASH_OPENS = (timedelta(minutes=10), timedelta(minutes=25))  # the first live shop rooms' 秒杀
REPLAY_LENGTH = timedelta(minutes=90)
ON_AIR_TITLES = (
    "今晚宠粉专场，福利不停",
    "源头好货直播，老铁放心买",
    "新品首发，下单有惊喜",
    "双12提前购，限时秒杀",
)
UPCOMING_TITLES = ("明日上新预告，记得来", "双12预热专场", "工厂直发专场，价格美丽", "周末福利夜")
ENDED_TITLES = ("昨晚宠粉专场", "源头直播专场", "老粉回馈夜")


@dataclass(frozen=True)
class Anchor:
    key: str  # stable: the randomness of its room depends only on it
    principal: Principal
    shop_id: int | None  # a shop's self-broadcast; None for a creator
    name: str
    room_title: str
    product_ids: list[int]
    state: str  # live, scheduled or ended
    flash_opens: timedelta | None = None


def anchors(shops: list[MarketShop], creators: list[Creator]) -> list[Anchor]:
    out: list[Anchor] = []
    flashes = list(FLASH_OPENS)
    for shop in shops[:LIVE_SHOPS]:
        state = STATES[shop.index % len(STATES)]
        flash = flashes.pop(0) if state == "live" and flashes else None
        products = [p.id for p in shop.products[:CART_SIZE]]
        out.append(
            Anchor(
                f"shop-{shop.index}",
                shop.owner,
                shop.shop_id,
                shop.name,
                f"{shop.name}直播间",
                products,
                state,
                flash,
            )
        )
    for c in creators:
        state = STATES[c.index % len(STATES)]
        out.append(
            Anchor(
                f"creator-{c.index}",
                c.shopper.principal,
                None,
                c.shopper.nickname,
                c.room_title,
                c.picks[:CART_SIZE],
                state,
            )
        )
    return out


def _open_session(
    session: Session, storage: FileStorage, anchor: Anchor, room_id: int, title: str, when: datetime | None
) -> tuple[int, list[CartItemOut]]:
    """A session with its cover and its live cart (小黄车)."""
    out = live.create_session(session, anchor.principal, room_id, SessionIn(title=title, scheduled_at=when))
    cart: list[CartItemOut] = []
    for product_id in anchor.product_ids:
        cart = live.add_to_cart(session, anchor.principal, out.id, product_id)
    cover = images.product_image(anchor.name[:8], title[:16], f"live-{anchor.key}-{title}", badge=None)
    live.set_cover(session, anchor.principal, out.id, storage.put("live-covers", ".jpg", cover))
    return out.id, cart


def _crowd(
    session_id: int,
    audience: list[Shopper],
    rng: random.Random,
    since: datetime,
    until: datetime,
    buyers: tuple[Shopper, ...] = (),
) -> store.Pending:
    """Viewers (signed-in, the buyers among them, and anonymous), screened comments, likes and the
    peak audience."""
    pending = store.Pending()
    span = max((until - since).total_seconds(), 1.0)

    def moment() -> datetime:
        return since + timedelta(seconds=rng.uniform(0, span))

    watchers = rng.sample(audience, k=min(len(audience), rng.randint(8, 20)))
    watchers += [b for b in buyers if b not in watchers]
    for w in watchers:
        pending.viewers[(session_id, f"u:{w.principal.user_id}")] = (w.principal.user_id, moment())
    for _ in range(rng.randint(30, 150)):
        pending.viewers[(session_id, f"a:{rng.getrandbits(64):016x}")] = (None, moment())
    for _ in range(rng.randint(8, 16)):
        text = rng.choice(LIVE_COMMENTS)
        user_id = rng.choice(watchers).principal.user_id
        pending.comments.append(
            store.comment_row(session_id, user_id, text, moderation.classify(text), moment())
        )
    pending.comments.sort(key=lambda c: c["created_at"])
    pending.likes[session_id] = rng.randint(300, 6000)
    pending.peaks[session_id] = max(1, len(pending.viewers) * rng.randint(40, 70) // 100)
    return pending


def _on_air(
    db: Database,
    storage: FileStorage,
    anchor: Anchor,
    room_id: int,
    stream_key: str,
    audience: list[Shopper],
    rng: random.Random,
) -> None:
    """On air since some minutes ago, the second cart product 讲解中, maybe a 秒杀 coming up."""
    now = clock.now()
    started = now - timedelta(minutes=rng.randint(5, 40))
    with at(started), unit_of_work(db) as session:
        session_id, cart = _open_session(session, storage, anchor, room_id, rng.choice(ON_AIR_TITLES), None)
        live.start_by_key(session, stream_key)
        if cart:
            live.pin(session, anchor.principal, session_id, cart[min(1, len(cart) - 1)].id)
        session.commit()
    if anchor.flash_opens is not None and cart:
        with unit_of_work(db) as session:
            sku = stocked_sku(catalog.get_listed(session, cart[0].product_id), at_least=40)
            if sku is not None and sku.price_fen >= 200:
                body = FlashSaleIn(
                    item_id=cart[0].id,
                    sku_id=sku.id,
                    price_fen=shop_price(sku.price_fen * 55 // 100),
                    quantity=30,
                    per_buyer_limit=1,
                    starts_at=clock.now() + anchor.flash_opens,
                )
                live.create_flash_sale(session, anchor.principal, session_id, body)
            session.commit()
    store.flush(db, _crowd(session_id, audience, rng, started, now))


def _upcoming(
    db: Database, storage: FileStorage, anchor: Anchor, room_id: int, rng: random.Random, when: datetime
) -> None:
    with unit_of_work(db) as session:
        _open_session(session, storage, anchor, room_id, rng.choice(UPCOMING_TITLES), when)
        session.commit()


def _follow_anchor(db: Database, anchor: Anchor, fan: Shopper) -> None:
    kind, target = (
        (TargetKind.SHOP, anchor.shop_id) if anchor.shop_id else (TargetKind.USER, anchor.principal.user_id)
    )
    with unit_of_work(db) as session:
        if not social.is_following(session, fan.principal.user_id, kind, target):
            social.follow(session, fan.principal, kind, target)
            session.commit()


def _replay(
    db: Database,
    storage: FileStorage,
    cashier: Cashier,
    anchor: Anchor,
    room_id: int,
    stream_key: str,
    audience: list[Shopper],
    rng: random.Random,
    start: datetime,
) -> None:
    """Yesterday's broadcast: buyers order from its cart (channel ``live``), some follow, then it ends."""
    end = start + REPLAY_LENGTH
    with at(start), unit_of_work(db) as session:
        session_id, cart = _open_session(session, storage, anchor, room_id, rng.choice(ENDED_TITLES), start)
        live.start_by_key(session, stream_key)
        if cart:
            live.pin(session, anchor.principal, session_id, cart[0].id)
        skus = [
            (sku.id, sku.price_fen)
            for item in cart
            if (sku := stocked_sku(catalog.get_listed(session, item.product_id)))
        ]
        session.commit()
    creator_id = None if anchor.shop_id else anchor.principal.user_id
    buyers = rng.sample(audience, k=min(len(audience), rng.randint(6, 9))) if skus else []
    for j, buyer in enumerate(buyers):
        moment = start + timedelta(minutes=5 + j * 70 // len(buyers) + rng.randint(0, 6))
        with at(moment):
            sku_id, price = rng.choice(skus[:3])
            attribution = Attribution(channel=Channel.LIVE, live_session_id=session_id, creator_id=creator_id)
            quantity = 1 if rng.random() < 0.7 else 2
            cashier.buy(
                buyer.principal,
                buyer.address_id,
                [(sku_id, quantity, price)],
                attribution,
                f"demo-live-{session_id}-{j}",
            )
            if j % 2 == 0:
                _follow_anchor(db, anchor, buyer)
    store.flush(db, _crowd(session_id, audience, rng, start, end, tuple(buyers)))
    with at(end):
        cashier.settle()  # what the orders set off happens during the broadcast, not today
        with unit_of_work(db) as session:
            live.end_session(session, anchor.principal, session_id)
            session.commit()


def seed_live(
    db: Database, storage: FileStorage, cashier: Cashier, anchors_: list[Anchor], audience: list[Shopper]
) -> bool:
    """A room per anchor (skipped when it exists), in the anchor's state."""
    changed = False
    now = clock.now()
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    # Yesterday evening in Beijing (19:00-20:30, 11:00-12:30 UTC): every replay ends before today.
    yesterday = (now - timedelta(days=1)).replace(hour=11, minute=0, second=0, microsecond=0)
    for n, anchor in enumerate(anchors_):
        rng = random.Random(f"laotie-demo-live-{anchor.key}")
        start = yesterday + timedelta(minutes=30 * (n % 4))
        with at(start) if anchor.state == "ended" else nullcontext(), unit_of_work(db) as session:
            if any(r.shop_id == anchor.shop_id for r in live.my_rooms(session, anchor.principal)):
                continue
            room, key = live.open_room(
                session, anchor.principal, RoomIn(shop_id=anchor.shop_id, title=anchor.room_title)
            )
            session.commit()
        if anchor.state == "live":
            _on_air(db, storage, anchor, room.id, key.stream_key, audience, rng)
        elif anchor.state == "scheduled":
            _upcoming(db, storage, anchor, room.id, rng, next_hour + timedelta(hours=n % 3))
        else:
            _replay(db, storage, cashier, anchor, room.id, key.stream_key, audience, rng, start)
            _upcoming(db, storage, anchor, room.id, rng, max(start + timedelta(days=1), next_hour))
        changed = True
    return changed

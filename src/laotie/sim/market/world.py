"""The simulated marketplace, built through the real services: staff, shops opened by 0元开店
application and review, products drafted, screened, reviewed and listed, live rooms, alliance offers,
creators and their showcases, buyers with an address, and the follows they start with.

``World`` keeps the simulator's own truth beside what the platform knows: which merchant owns which
product, its price against the going price of its kind, and how often a piece of it is faulty.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductCreate
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryNode
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.storage import FileStorage
from laotie.core.uow import unit_of_work
from laotie.governance import service as governance
from laotie.live import service as live
from laotie.live.schemas import RoomIn
from laotie.moderation import service as moderation
from laotie.shops import service as shops
from laotie.shops.schemas import ShopApply
from laotie.sim import images
from laotie.sim.cashier import at
from laotie.sim.licences import credit_code
from laotie.sim.market.agents import BuyerAgent, CreatorAgent, MerchantAgent
from laotie.sim.names import MERCHANT_NICKNAMES
from laotie.sim.people import ensure_shopper, ensure_user, principal_of
from laotie.sim.products import plan_product
from laotie.social import service as social
from laotie.social.schemas import TargetKind

# Simulated time starts here, whatever the wall clock says: the same seed gives the same run.
EPOCH = datetime(2026, 3, 2, tzinfo=UTC)
_start = EPOCH  # this run's day 0 (``starting``); the demo's history ends yesterday
STOCK = 5000  # per SKU: a run never sells out, so sales follow demand only
DIVERSION = "，加我微信laotie888私聊下单更便宜"  # what a diverter writes into half its listings
OFFER_BP = {"honest": 1000, "overpricer": 2000, "faker": 3000, "diverter": 1500}


def moment(day: int, hour: float) -> datetime:
    return _start + timedelta(days=day, hours=hour)


def day_of(at: datetime) -> int:
    """The simulated day that ``at`` falls on."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (aware - _start).days


@contextmanager
def starting(start: datetime | None) -> Iterator[None]:
    """Run with day 0 at midnight (UTC) of ``start``'s date, or at the fixed epoch when None."""
    global _start
    previous = _start
    _start = EPOCH if start is None else datetime(start.year, start.month, start.day, tzinfo=UTC)
    try:
        yield
    finally:
        _start = previous


@dataclass(frozen=True)
class Market:
    """A second-level category merchants sell in and buyers have a taste for."""

    category_id: int
    name: str
    top: str
    leaves: list[CategoryNode]


@dataclass(frozen=True)
class Truth:
    product_id: int
    merchant: int  # index of the MerchantAgent
    shop_id: int
    sku_id: int
    price_fen: int
    fair_fen: int  # the going price of this kind of product
    fault_rate: float
    market: int
    leaf: str


@dataclass
class World:
    db: Database
    reviewer: Principal
    markets: list[Market]
    merchants: list[MerchantAgent]
    buyers: list[BuyerAgent]
    creators: list[CreatorAgent]
    products: dict[int, Truth] = field(default_factory=dict)
    rooms: dict[int, tuple[int, str]] = field(default_factory=dict)  # merchant index -> room, key
    principals: dict[int, Principal] = field(default_factory=dict)  # user id -> principal
    storage: FileStorage | None = None  # where listings' pictures go; None: no pictures (a measuring run)

    def shop_products(self, merchant: int) -> list[Truth]:
        return [t for t in self.products.values() if t.merchant == merchant]

    def by_shop(self) -> dict[int, MerchantAgent]:
        return {m.shop_id: m for m in self.merchants if m.shop_id}


def _leaves(node: CategoryNode) -> list[CategoryNode]:
    return [node] if not node.children else [leaf for c in node.children for leaf in _leaves(c)]


def markets(session: Session) -> list[Market]:
    """Second-level categories that need no licence to open a shop or list in (simulated merchants
    upload no documents) and whose goods may be returned (生鲜 may not)."""
    out = []
    for top in categories.tree(session):
        for mid in top.children:
            leaves = _leaves(mid)
            facts = [categories.get_category(session, c.id) for c in [mid, *leaves]]
            if not any(f.required_qualifications or f.return_exempt for f in facts):
                out.append(Market(mid.id, mid.name, top.name, leaves))
    return out


def staff(db: Database) -> Principal:
    """The governance staff who review shops, listings, reports and cases; the rulebook they apply."""
    with unit_of_work(db) as session:
        governance.seed_rules(session)
        user_id = ensure_user(session, "13900009001", "模拟治理小二", (Role.GOVERNANCE,))
        reviewer = principal_of(session, user_id)
        session.commit()
    return reviewer


def _fair_price(leaf: str, plan_price: int, factor: float) -> tuple[int, int]:
    """(the merchant's price, the going price): the plan's price is the going one, the merchant's
    is it times its factor, written the way shops write prices (ending in .90)."""
    price = max(int(plan_price * factor) // 100 * 100 - 10, 90)
    return price, plan_price


def _list_product(
    session: Session, world: World, m: MerchantAgent, owner: Principal, k: int, rng: random.Random
) -> None:
    market = world.markets[m.market]
    leaf = market.leaves[(m.index + k) % len(market.leaves)]
    plan = plan_product(rng, leaf.name, market.top, m.index * 100 + k)
    skus = plan.body["skus"][:2]
    base = min(s["price_fen"] for s in skus)
    for s in skus:
        s["price_fen"], _ = _fair_price(leaf.name, s["price_fen"], m.price_factor)
        s["stock"] = STOCK
        s.pop("original_price_fen", None)
    keep = {name for s in skus for name in s["attrs"]}
    plan.body["attributes"] = [
        {
            "name": a["name"],
            "values": [v for v in a["values"] if any(s["attrs"].get(a["name"]) == v for s in skus)],
        }
        for a in plan.body["attributes"]
        if a["name"] in keep
    ]
    plan.body["skus"] = skus
    if m.kind == "diverter" and k % 2 == 0:
        plan.body["description"] += DIVERSION
    product = catalog.create_product(
        session, owner, m.shop_id, ProductCreate.model_validate({**plan.body, "category_id": leaf.id})
    )
    if world.storage is not None:  # a kept marketplace (the demo's history) shows its goods
        picture = images.product_image(plan.short, plan.subtitle, f"sim-{m.index}-{k}:{plan.short}", 0)
        catalog.add_image(
            session, world.storage, owner, product.id, f"{plan.short}.jpg", "image/jpeg", picture
        )
    catalog.submit_for_review(session, owner, product.id)
    if moderation.hits_for(session, "product", [product.id]).get(product.id):
        catalog.reject(
            session, world.reviewer, product.id, "商品描述含站外联系方式（导流），请修改后重新提交"
        )
        m.rejected_listings += 1
        return
    catalog.approve(session, world.reviewer, product.id)
    cheapest = min(product.skus, key=lambda s: (s.price_fen, s.id))
    world.products[product.id] = Truth(
        product.id,
        m.index,
        m.shop_id,
        cheapest.id,
        cheapest.price_fen,
        base,
        m.fault_rate,
        m.market,
        leaf.name,
    )


def open_merchant(world: World, m: MerchantAgent, day: int, seed: int) -> None:
    """Sign up, apply, pass review, list products, open a live room and offer goods to creators."""
    rng = random.Random(f"{seed}-merchant-{m.index}")
    market = world.markets[m.market]
    nickname = MERCHANT_NICKNAMES[m.index % len(MERCHANT_NICKNAMES)]
    name = f"{market.name}{'老铁好货'[m.index % 4]}{m.index + 1}号店"
    with at(moment(day, 8)), unit_of_work(world.db) as session:
        m.user_id = ensure_user(session, f"131{m.index:08d}", nickname, (Role.BUYER,))
        owner = principal_of(session, m.user_id)
        shop = shops.apply(
            session,
            owner,
            ShopApply(
                name=name,
                main_category_id=market.category_id,
                entity_type="individual_business",
                legal_name=f"{nickname}（个体工商户）",
                licence_number=credit_code(rng, "individual_business"),
                contact_phone=f"131{m.index:08d}",
                description=f"{market.top} · {market.name}",
            ),
        )
        shops.approve(session, shop.id, world.reviewer)
        m.shop_id = shop.id
        for k in range(m.products):
            _list_product(session, world, m, owner, k, rng)
        listed = world.shop_products(m.index)
        for t in listed[:2]:
            affiliate.set_offer(session, owner, m.shop_id, t.product_id, OFFER_BP[m.kind])
        if m.lives and listed:
            room, key = live.open_room(session, owner, RoomIn(shop_id=m.shop_id, title=f"{name}直播间"))
            world.rooms[m.index] = (room.id, key.stream_key)
        world.principals[m.user_id] = owner
        session.commit()


def add_buyers(world: World, seed: int) -> None:
    """Buyers with an address; some already follow a shop of their taste (私域 from before the run)."""
    rng = random.Random(f"{seed}-follows")
    incumbents = [m for m in world.merchants if not m.new and m.shop_id]
    with at(moment(0, 7)), unit_of_work(world.db) as session:
        for b in world.buyers:
            shopper = ensure_shopper(session, f"132{b.index:08d}", f"模拟买家{b.index + 1}")
            b.user_id, b.address_id = shopper.principal.user_id, shopper.address_id
            world.principals[b.user_id] = shopper.principal
            liked = [m for m in incumbents if m.market in b.tastes]
            if liked and rng.random() < b.loyalty * 0.5:
                m = rng.choice(liked)
                social.follow(session, shopper.principal, TargetKind.SHOP, m.shop_id)
                b.followed_shops.add(m.shop_id)
            for c in world.creators:
                if c.user_id and rng.random() < c.reach:
                    social.follow(session, shopper.principal, TargetKind.USER, c.user_id)
        session.commit()


def add_creators(world: World) -> None:
    """Creators open their room and put the best-paying alliance goods of their market in it."""
    with at(moment(0, 6)), unit_of_work(world.db) as session:
        for c in world.creators:
            shopper = ensure_shopper(
                session, f"130{c.index:08d}", f"模拟达人{c.index + 1}", (Role.BUYER, Role.CREATOR)
            )
            c.user_id = shopper.principal.user_id
            world.principals[c.user_id] = shopper.principal
            offered = [t for t in world.products.values() if t.market == c.market and _offer_rate(world, t)]
            offered.sort(key=lambda t: (-_offer_rate(world, t), t.product_id))
            for t in offered[:4]:
                affiliate.add_to_showcase(session, shopper.principal, t.product_id)
                c.picks.append(t.product_id)
            room, key = live.open_room(
                session, shopper.principal, RoomIn(title=f"模拟达人{c.index + 1}的直播间")
            )
            c.room_id, c.stream_key = room.id, key.stream_key
        session.commit()


def _offer_rate(world: World, t: Truth) -> int:
    m = world.merchants[t.merchant]
    first_two = [p.product_id for p in world.shop_products(m.index)[:2]]
    return OFFER_BP[m.kind] if t.product_id in first_two else 0

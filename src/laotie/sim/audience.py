"""The demo's creators (达人) and audience: creator accounts, the alliance offers merchants make them,
their showcases (橱窗), background fans, and who follows which shop and anchor (私域)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from laotie.affiliate import service as affiliate
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.sim.commerce import MarketShop
from laotie.sim.names import CREATORS, FAN_NAMES, FAN_PREFIXES
from laotie.sim.people import DEMO_PASSWORD, DemoAccount, Shopper, ensure_shopper
from laotie.social import service as social
from laotie.social.schemas import TargetKind

OFFER_RATES_BP = (1000, 1500, 2000, 3000)  # 10% ... 30% commission
OFFERED_PER_SHOP = 4
SHOWCASE_SIZE = 6
FANS = 12
FOLLOWED_SHOPS = 8  # buyers follow among the first shops, the ones with live rooms


@dataclass(frozen=True)
class Creator:
    index: int
    shopper: Shopper
    room_title: str
    picks: list[int]  # product ids in the showcase, the creator's live cart and videos


def creator_phone(index: int) -> str:
    return f"1350000{index:04d}"


def fan_phone(index: int) -> str:
    return f"1330000{index:04d}"


def _offer(db: Database, shops: list[MarketShop]) -> list[tuple[MarketShop, int]]:
    """Every other shop offers its first products to creators; (shop, product id) of all offers."""
    offered = []
    with unit_of_work(db) as session:
        for shop in shops:
            if shop.index % 2:
                continue
            already = {o.product_id for o in affiliate.shop_offers(session, shop.owner, shop.shop_id)}
            for k, product in enumerate(shop.products[:OFFERED_PER_SHOP]):
                if product.id not in already:
                    rate = OFFER_RATES_BP[(shop.index + k) % len(OFFER_RATES_BP)]
                    affiliate.set_offer(session, shop.owner, shop.shop_id, product.id, rate)
                offered.append((shop, product.id))
        session.commit()
    return offered


def seed_creators(db: Database, shops: list[MarketShop]) -> tuple[list[Creator], list[DemoAccount], bool]:
    """Creator accounts with showcases of alliance products, their favourite category first."""
    if not shops:
        return [], [], False
    offered = _offer(db, shops)
    creators, accounts, changed = [], [], False
    with unit_of_work(db) as session:
        for i, (nickname, room_title, favourite) in enumerate(CREATORS):
            phone = creator_phone(i + 1)
            shopper = ensure_shopper(session, phone, nickname, (Role.BUYER, Role.CREATOR))
            shown = [item.product.id for item in affiliate.showcase(session, shopper.principal.user_id).items]
            if not shown and offered:
                rng = random.Random(f"laotie-demo-creator-{i}")
                liked = [p for s, p in offered if s.top == favourite]
                others = [p for s, p in offered if s.top != favourite]
                rng.shuffle(liked)
                rng.shuffle(others)
                shown = (liked + others)[:SHOWCASE_SIZE]
                for product_id in reversed(shown):  # the showcase lists the newest first
                    affiliate.add_to_showcase(session, shopper.principal, product_id)
                changed = True
            creators.append(Creator(i, shopper, room_title, shown))
            note = f"达人 · 橱窗 /creator/{shopper.principal.user_id}"
            accounts.append(DemoAccount(phone, DEMO_PASSWORD, "creator", nickname, note))
        session.commit()
    return creators, accounts, changed


def shoppers(db: Database, people: list[DemoAccount]) -> list[Shopper]:
    """The accounts as buyers with an address (added once)."""
    with unit_of_work(db) as session:
        found = [ensure_shopper(session, a.phone, a.nickname) for a in people]
        session.commit()
    return found


def seed_fans(db: Database) -> list[Shopper]:
    """Background buyers (not printed) who fill the live rooms: they watch, follow and order."""
    with unit_of_work(db) as session:
        fans = [
            ensure_shopper(
                session,
                fan_phone(i + 1),
                f"{FAN_PREFIXES[i % len(FAN_PREFIXES)]}{FAN_NAMES[i % len(FAN_NAMES)]}",
            )
            for i in range(FANS)
        ]
        session.commit()
    return fans


def seed_follows(
    db: Database, shops: list[MarketShop], people: list[Shopper], creators: list[Creator]
) -> bool:
    """Each buyer follows two to four shops with live rooms and one or two creators."""
    changed = False
    with unit_of_work(db) as session:
        for person in people:
            if social.my_follows(session, person.principal, PageParams(limit=1)).total:
                continue
            rng = random.Random(f"laotie-demo-follows-{person.nickname}")
            nearby = shops[:FOLLOWED_SHOPS]
            for shop in rng.sample(nearby, k=min(len(nearby), rng.randint(2, 4))):
                social.follow(session, person.principal, TargetKind.SHOP, shop.shop_id)
            for creator in rng.sample(creators, k=min(len(creators), rng.randint(1, 2))):
                if creator.shopper.principal.user_id != person.principal.user_id:
                    social.follow(
                        session, person.principal, TargetKind.USER, creator.shopper.principal.user_id
                    )
            changed = True
        session.commit()
    return changed

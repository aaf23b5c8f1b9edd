"""The flash sale's world, made through the real services: one open shop, one listed SKU, B buyers.

A merchant applies for a shop and a governance user approves it; the merchant creates a product with
one SKU of stock S, submits it, and the reviewer approves it, exactly as over the API. Each buyer is
registered, gets an access token and one address through the accounts and addresses services.

The one shortcut: argon2 hashing costs ~50 ms a password by design, so 5,000 buyers would spend
four minutes hashing the same password. The hash is computed once, with the production parameters,
and the services are handed that one hash for every bench buyer (all share one password, so the
hash verifies for each of them; only the salt is shared). Everything else is what the services write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from laotie.accounts import service as accounts
from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductCreate, SkuIn
from laotie.categories import service as categories
from laotie.core.auth import Principal, Role, hash_password
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations import upgrade
from laotie.shops import service as shops
from laotie.shops.licence import check_character
from laotie.shops.schemas import ShopApply

PASSWORD = "flash12345"
COMMIT_EVERY = 500
PRICE_FEN = 990  # ¥9.90, a live-room flash-sale price
# 浙江省 / 杭州市 / 西湖区
ADDRESS = {
    "recipient": "王老铁",
    "province_code": "330000",
    "city_code": "330100",
    "district_code": "330106",
    "detail": "文三路478号华星时代广场A座1201",
    "postal_code": "310012",
}


@dataclass
class Buyer:
    user_id: int
    token: str
    address_id: int


@dataclass
class World:
    shop_id: int
    product_id: int
    sku_id: int
    price_fen: int
    stock: int
    buyers: list[Buyer] = field(default_factory=list)
    seconds: float = 0.0


def migrate(url: str) -> None:
    """What ``laotie migrate`` does: schema at head and the default category tree."""
    upgrade(url)
    db = Database(url)
    try:
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            session.commit()
    finally:
        db.dispose()


@contextmanager
def _one_hash_for_all() -> Iterator[None]:
    """Let ``accounts.register`` use a hash computed once (see the module docstring)."""
    computed = hash_password(PASSWORD)
    original = accounts.hash_password
    accounts.hash_password = lambda password: computed  # type: ignore[assignment]
    try:
        yield
    finally:
        accounts.hash_password = original  # type: ignore[assignment]


def _principal(user_id: int, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


def _licence(n: int) -> str:
    first17 = f"92110000MA{n:07d}"
    return first17 + check_character(first17)


def _merchant_and_sku(db: Database, stock: int, price_fen: int) -> World:
    with unit_of_work(db) as session:
        owner = accounts.register(session, password=PASSWORD, phone="13700000001", nickname="秒杀店主")
        staff = accounts.register(
            session, password=PASSWORD, phone="13700000002", nickname="审核员", roles=(Role.GOVERNANCE,)
        )
        reviewer = _principal(staff.id, Role.GOVERNANCE)
        merchant = _principal(owner.id, Role.BUYER)
        category_id = categories.leaf_ids(session)[0]
        shop = shops.apply(
            session,
            merchant,
            ShopApply(
                name="老铁秒杀小店",
                main_category_id=category_id,
                entity_type="individual_business",
                legal_name="老铁秒杀个体户",
                licence_number=_licence(1),
                contact_phone="13700000001",
            ),
        )
        shops.approve(session, shop.id, reviewer)
        product = catalog.create_product(
            session,
            merchant,
            shop.id,
            ProductCreate(
                category_id=category_id,
                title="直播间秒杀 东北黑木耳 250g",
                description="限量秒杀，手慢无",
                attributes=[],
                skus=[SkuIn(attrs={}, price_fen=price_fen, stock=stock)],
            ),
        )
        catalog.submit_for_review(session, merchant, product.id)
        catalog.approve(session, reviewer, product.id)
        session.commit()
        return World(shop.id, product.id, product.skus[0].id, price_fen, stock)


def _buyers(db: Database, count: int) -> Iterator[Buyer]:
    address = AddressCreate.model_validate({**ADDRESS, "phone": "13800138000"})
    done = 0
    while done < count:
        with unit_of_work(db) as session:
            for i in range(done, min(count, done + COMMIT_EVERY)):
                user = accounts.register(session, password=PASSWORD, phone=f"1390{i:07d}")
                token, _ = accounts.issue_token(session, user, "flash-sale bench")
                book = addresses.create_address(session, user.id, address)
                yield Buyer(user.id, token, book.id)
            session.commit()
        done = min(count, done + COMMIT_EVERY)


def seed(url: str, buyers: int, stock: int, price_fen: int = PRICE_FEN) -> World:
    started = time.perf_counter()
    db = Database(url)
    try:
        with _one_hash_for_all():
            world = _merchant_and_sku(db, stock, price_fen)
            world.buyers = list(_buyers(db, buyers))
    finally:
        db.dispose()
    world.seconds = time.perf_counter() - started
    return world

"""A benchmark catalogue, made through the real services: what merchants and reviewers would make.

Shops apply and are approved; each product is created with its SKUs and first prices (recorded in
the price history), submitted and approved, exactly as through the API. Commits go in batches.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.catalog.schemas import AttributeIn, ProductCreate, SkuIn
from laotie.categories import service as categories
from laotie.categories.models import Category
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations import upgrade
from laotie.shops import service as shops
from laotie.shops.licence import check_character
from laotie.shops.schemas import ShopApply

PRODUCTS_PER_SHOP = 100
BATCH = 250
PASSWORD = "bench12345"

_ADJECTIVES = [
    "新款",
    "加厚",
    "宽松",
    "显瘦",
    "纯棉",
    "手工",
    "源头",
    "正宗",
    "网红",
    "复古",
    "轻薄",
    "大容量",
]
_NOUNS = [
    "连衣裙",
    "卫衣",
    "牛仔裤",
    "羽绒服",
    "木耳",
    "红枣",
    "蜂蜜",
    "保温杯",
    "双肩包",
    "蓝牙耳机",
    "口红",
]
_PLACES = ["东北", "新疆", "云南", "义乌", "杭州", "广州", "临沂", "武夷山"]
_COLOURS = ["黑色", "白色", "红色", "藏青", "卡其", "灰色"]
_SIZES = ["S", "M", "L", "XL"]


@dataclass
class SeedReport:
    products: int = 0
    skus: int = 0
    shops: int = 0
    seconds: float = 0.0
    product_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    id_range: tuple[int, int] | None = None  # bulk seeding: every id in between is a listed product
    how: str = "through the services: shops apply and are approved; products created, submitted, approved"

    def summary(self) -> dict[str, Any]:
        return {
            "products": self.products,
            "skus": self.skus,
            "shops": self.shops,
            "seconds": round(self.seconds, 1),
            "products_per_s": round(self.products / self.seconds, 1) if self.seconds else None,
            "how": self.how,
        }


def _principal(user_id: int, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


def _product(rng: random.Random, category_id: int, serial: int) -> ProductCreate:
    title = f"{rng.choice(_PLACES)}{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)} {serial}号"
    attributes: list[AttributeIn] = []
    shape = rng.random()
    if shape > 0.4:
        attributes.append(AttributeIn(name="颜色", values=rng.sample(_COLOURS, rng.randint(2, 3))))
    if shape > 0.8:
        attributes.append(AttributeIn(name="尺码", values=rng.sample(_SIZES, 2)))
    combos: list[dict[str, str]] = [{}]
    for attribute in attributes:
        combos = [{**c, attribute.name: v} for c in combos for v in attribute.values]
    base = rng.randint(99, 99_900)
    skus = [
        SkuIn(
            attrs=attrs,
            price_fen=base + 100 * i,
            original_price_fen=(base + 100 * i) * 2,
            stock=rng.randint(0, 500),
        )
        for i, attrs in enumerate(combos)
    ]
    return ProductCreate(
        category_id=category_id,
        title=title,
        description=f"{title}，产地直发，七天无理由退货。",
        attributes=attributes,
        skus=skus,
    )


def _licence(n: int) -> str:
    """A well-formed unified social credit code for an individual business, distinct per ``n``."""
    first17 = f"92330000MA{n:07d}"
    return first17 + check_character(first17)


def _open_shops(db: Database, count: int, reviewer: Principal, leaf: int) -> list[tuple[Principal, int]]:
    """``count`` approved shops: (owner, shop id) each."""
    opened = []
    with unit_of_work(db) as session:
        for n in range(count):
            owner = accounts.register(session, password=PASSWORD, phone=f"139{n:08d}", nickname=f"店主{n}")
            shop = shops.apply(
                session,
                _principal(owner.id, Role.BUYER),
                ShopApply(
                    name=f"老铁好货{n:04d}号店",
                    main_category_id=leaf,
                    entity_type="individual_business",
                    legal_name=f"压测个体户{n}",
                    licence_number=_licence(n),
                    contact_phone=f"137{n:08d}",
                ),
            )
            shops.approve(session, shop.id, reviewer)
            opened.append((_principal(owner.id, Role.BUYER, Role.MERCHANT_OWNER), shop.id))
        session.commit()
    return opened


def seed_catalog(url: str, products: int, seed: int = 20240601) -> SeedReport:
    """Migrate ``url`` (schema and category tree) and fill it with ``products`` listed products."""
    rng = random.Random(seed)
    report = SeedReport()
    upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    try:
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            reviewer_user = accounts.register(
                session, password=PASSWORD, phone="13600000000", roles=(Role.GOVERNANCE,)
            )
            session.commit()
            reviewer = _principal(reviewer_user.id, Role.GOVERNANCE)
            leaves = categories.leaf_ids(session)
            report.category_ids = list(session.scalars(select(Category.id).order_by(Category.id)))
        opened = _open_shops(db, max(1, products // PRODUCTS_PER_SHOP), reviewer, leaves[0])
        report.shops = len(opened)
        for start in range(0, products, BATCH):
            with unit_of_work(db) as session:
                for serial in range(start, min(start + BATCH, products)):
                    owner, shop_id = opened[serial % len(opened)]
                    body = _product(rng, rng.choice(leaves), serial)
                    made = catalog.create_product(session, owner, shop_id, body)
                    catalog.submit_for_review(session, owner, made.id)
                    catalog.approve(session, reviewer, made.id)
                    report.product_ids.append(made.id)
                    report.skus += len(body.skus)
                session.commit()
        report.products = len(report.product_ids)
    finally:
        db.dispose()
    report.seconds = time.perf_counter() - started
    return report

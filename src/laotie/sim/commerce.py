"""The live-commerce side of the demo, seeded once shops and products exist: shipping templates,
coupons, a 双12 campaign with a 百亿补贴, creators (达人) with alliance offers and showcases, fans who
follow, live rooms on air / coming up / ended with their report, and short videos.

Everything goes through the domains' services as the merchants, staff, creators and buyers would.
Each step looks for its own work first and skips what is already there, so seeding twice changes
nothing. Randomness comes from ``random.Random`` seeded with fixed strings: the same demo every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TaskID
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductDetail, SkuOut
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import FileStorage
from laotie.core.uow import unit_of_work
from laotie.logistics import service as logistics
from laotie.logistics.schemas import (
    ChargeBy,
    FeeRule,
    FreeShippingRule,
    ProductShippingIn,
    RegionRule,
    TemplateIn,
)
from laotie.promotions import service as promotions
from laotie.promotions.schemas import (
    CampaignIn,
    CouponIn,
    EnrolIn,
    MultiBuyIn,
    PlatformCouponIn,
    SubsidyIn,
    TierIn,
)
from laotie.sim.people import DemoAccount, Shopper

CAMPAIGN = "双12年终狂欢节"
REMOTE = ["650000", "540000", "630000", "640000", "150000"]  # 新疆 西藏 青海 宁夏 内蒙古
NOT_SERVED = ["710000", "810000", "820000"]  # 台湾 香港 澳门
CAMPAIGN_SHOPS = 8  # shops enrolling a product in the campaign; the last waits for review
DETAILED = 5  # products per shop whose SKUs the seed reads (cart, offers, campaign, videos)
COMMERCE_STEPS = 6  # progress: shipping, promotions, creators and fans, live rooms, videos, orders


@dataclass(frozen=True)
class MarketShop:
    """An open demo shop: its owner, its top-level category, its products on the shelf (oldest
    first) and the details of the first few, the ones its coupons, offers, rooms and videos show."""

    index: int
    shop_id: int
    owner: Principal
    name: str
    top: str
    product_ids: list[int] = field(default_factory=list)
    products: list[ProductDetail] = field(default_factory=list)


def stocked_sku(product: ProductDetail, at_least: int = 5) -> SkuOut | None:
    """The product's cheapest SKU with ``at_least`` pieces in stock."""
    skus = sorted((s for s in product.skus if s.stock >= at_least), key=lambda s: (s.price_fen, s.id))
    return skus[0] if skus else None


def shop_price(fen: int) -> int:
    """A price as shops write them, ending in .90 (and never above ``fen``): 141.86 -> 140.90."""
    return max(fen // 100 * 100 - 10, 90)


def with_products(session: Session, shop: MarketShop) -> MarketShop:
    cards = catalog.list_listed(session, PageParams(limit=100), shop_id=shop.shop_id).items
    ids = sorted(c.id for c in cards)
    details = [catalog.get_listed(session, product_id) for product_id in ids[:DETAILED]]
    return replace(shop, product_ids=ids, products=details)


def shipping_template(index: int) -> TemplateIn:
    """A mix across shops: 包邮 but remote regions pay, by piece, 满59包邮, by weight with 满2件包邮."""
    remote = RegionRule(provinces=REMOTE, first_fee_fen=1500, extra_fee_fen=500)
    kinds = [
        TemplateIn(
            name="全国包邮（偏远地区除外）",
            default=FeeRule(first_fee_fen=0),
            regions=[remote],
            excluded=NOT_SERVED,
        ),
        TemplateIn(
            name="按件计费",
            default=FeeRule(first_fee_fen=800, extra_fee_fen=200),
            regions=[RegionRule(provinces=REMOTE, first_fee_fen=2000, extra_fee_fen=800)],
            excluded=NOT_SERVED,
        ),
        TemplateIn(
            name="满59元包邮",
            default=FeeRule(first_fee_fen=1000, extra_fee_fen=300),
            free_rules=[FreeShippingRule(min_amount_fen=5900)],
            excluded=[*NOT_SERVED, "540000"],
        ),
        TemplateIn(
            name="按重量计费 满2件包邮",
            charge_by=ChargeBy.WEIGHT,
            default=FeeRule(first_units=1000, first_fee_fen=800, extra_units=500, extra_fee_fen=300),
            regions=[remote],
            free_rules=[FreeShippingRule(min_pieces=2)],
            excluded=NOT_SERVED,
        ),
    ]
    return kinds[index % len(kinds)]


def seed_shipping(db: Database, shops: list[MarketShop]) -> bool:
    """Each shop's template, under which most of its products ship (every fifth stays 包邮)."""
    changed = False
    with unit_of_work(db) as session:
        for shop in shops:
            if logistics.list_templates(session, shop.owner, shop.shop_id):
                continue
            body = shipping_template(shop.index)
            template = logistics.create_template(session, shop.owner, shop.shop_id, body)
            rng = random.Random(f"laotie-demo-shipping-{shop.index}")
            for k, product_id in enumerate(shop.product_ids):
                if k % 5 == 4:
                    continue
                weight = rng.randrange(200, 3000, 50) if body.charge_by == ChargeBy.WEIGHT else 0
                logistics.set_product_shipping(
                    session,
                    shop.owner,
                    shop.shop_id,
                    product_id,
                    ProductShippingIn(template_id=template.id, weight_g=weight),
                )
            changed = True
        session.commit()
    return changed


def _shop_coupons(session: Session, shops: list[MarketShop]) -> list[int]:
    now = clock.now()
    start, end = now - timedelta(hours=1), now + timedelta(days=30)
    made = []
    for shop in shops:
        if shop.index % 3 == 2:
            continue
        if shop.index % 3 == 0:
            body = CouponIn(
                name="满99减10",
                threshold_fen=9900,
                cut_fen=1000,
                total_quantity=500,
                valid_from=start,
                valid_until=end,
            )
        else:
            body = CouponIn(
                name="全店9折券（最高减20元）",
                kind="percent",
                threshold_fen=0,
                percent_off_bp=1000,
                cap_fen=2000,
                total_quantity=300,
                valid_from=start,
                valid_until=end,
            )
        made.append(promotions.create_shop_coupon(session, shop.owner, shop.shop_id, body).id)
    return made


def _campaign(session: Session, shops: list[MarketShop], staff: Principal) -> int:
    """双12: staff open it, shops enrol one SKU each at 85%, staff approve all but the last."""
    now = clock.now()
    campaign = promotions.create_campaign(
        session,
        staff,
        CampaignIn(name=CAMPAIGN, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=10)),
    )
    enrolled = []
    for shop in shops[:CAMPAIGN_SHOPS]:
        sku = next((s for p in shop.products[:1] if (s := stocked_sku(p))), None)
        if sku is None:
            continue
        body = EnrolIn(
            campaign_id=campaign.id, sku_id=sku.id, campaign_price_fen=shop_price(sku.price_fen * 85 // 100)
        )
        enrolled.append(promotions.enrol(session, shop.owner, shop.shop_id, body).id)
    for item_id in enrolled[:-1] if len(enrolled) > 1 else enrolled:
        promotions.decide(session, staff, campaign.id, item_id, approve=True)
    return campaign.id


def _subsidies(session: Session, shops: list[MarketShop], staff: Principal, campaign_id: int) -> None:
    """百亿补贴 on the second product of a few shops: about a tenth of the price, platform-paid."""
    now = clock.now()
    for shop in shops[:3]:
        sku = next((s for p in shop.products[1:2] if (s := stocked_sku(p))), None)
        if sku is None or sku.price_fen < 200:
            continue
        body = SubsidyIn(
            sku_id=sku.id,
            per_unit_fen=max(100, sku.price_fen // 10 // 100 * 100),
            budget_fen=1_000_000,
            campaign_id=campaign_id,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=10),
        )
        promotions.create_subsidy(session, staff, body)


def seed_promotions(db: Database, shops: list[MarketShop], staff: Principal, buyers: list[Shopper]) -> bool:
    """Shop coupons, a multi-buy, the campaign with its subsidies and a platform coupon; the demo
    buyers claim the platform coupon and a shop coupon, so 我的优惠券 is not empty."""
    with unit_of_work(db) as session:
        if any(c.name == CAMPAIGN for c in promotions.campaigns(session)):
            return False
        now = clock.now()
        shop_coupons = _shop_coupons(session, shops)
        for shop in shops[2:3]:
            body = MultiBuyIn(
                name="2件9折 3件85折",
                tiers=[TierIn(pieces=2, percent_off_bp=1000), TierIn(pieces=3, percent_off_bp=1500)],
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=30),
            )
            promotions.create_shop_multibuy(session, shop.owner, shop.shop_id, body)
        campaign_id = _campaign(session, shops, staff)
        _subsidies(session, shops, staff, campaign_id)
        platform = promotions.create_platform_coupon(
            session,
            staff,
            PlatformCouponIn(
                name="双12平台券 满199减20",
                threshold_fen=19900,
                cut_fen=2000,
                total_quantity=2000,
                valid_from=now - timedelta(hours=1),
                valid_until=now + timedelta(days=10),
                budget_fen=4_000_000,
            ),
        )
        for n, buyer in enumerate(buyers):
            promotions.claim(session, buyer.principal, platform.id)
            if shop_coupons:
                promotions.claim(session, buyer.principal, shop_coupons[n % len(shop_coupons)])
        session.commit()
    return True


def seed_commerce(
    db: Database,
    storage: FileStorage,
    media_dir: Path,
    shops: list[MarketShop],
    staff: Principal,
    buyer_accounts: list[DemoAccount],
    console: Console,
    progress: Progress,
    task: TaskID,
) -> tuple[list[DemoAccount], bool]:
    """Seed (or find) the live-commerce side; the creators' accounts, and whether anything changed.
    The demo buyers get an address here, and join the fans in the live rooms' audience."""
    from laotie.sim import audience, live, order_states, videos
    from laotie.sim.cashier import Cashier

    with unit_of_work(db, read_only=True) as session:
        market = [with_products(session, s) for s in shops]
    buyers = audience.shoppers(db, buyer_accounts)
    changed = seed_shipping(db, market)
    progress.advance(task)
    changed |= seed_promotions(db, market, staff, buyers)
    progress.advance(task)
    creators, accounts, made = audience.seed_creators(db, market)
    fans = audience.seed_fans(db)
    changed |= made | audience.seed_follows(db, market, buyers + fans, creators)
    progress.advance(task)
    cashier = Cashier(db, media_dir)
    try:
        changed |= live.seed_live(db, storage, cashier, live.anchors(market, creators), buyers + fans)
        progress.advance(task)
        changed |= videos.seed_videos(db, storage, market, creators, buyers + fans, console)
        progress.advance(task)
        if buyers:
            changed |= order_states.seed_order_states(db, cashier, market[0], buyers[0])
        progress.advance(task)
        cashier.settle()
    finally:
        cashier.close()
    return accounts, changed

"""The demo's reviews (评价): weeks of orders that were shipped, signed for and confirmed, then reviewed
through ``reviews.service`` as buyers do, so every review event reaches the scores on first start.

Shops differ on purpose. Most are good (four and five stars, 物流快, 质量好, the shop replies); every
third is a bad one (一两星, 色差, 做工差, 物流慢, few replies); clothes and shoes get size complaints on
their first product (尺码偏小). Some buyers add a photo, some follow up weeks later, and some write
nothing: their lines get the 系统默认好评 15 days after completion, from the same job as in production.

Everything happens at the time it would have: the platform clock is set back (``cashier.at``) for
each order's steps. A shop that has any review already is skipped, so seeding twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductDetail, SkuOut
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import FileStorage
from laotie.core.uow import unit_of_work
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.orders.schemas import Attribution
from laotie.reviews import service as reviews
from laotie.reviews.schemas import FollowupIn, ReplyIn, ReviewIn
from laotie.sim import images
from laotie.sim.cashier import Cashier, at
from laotie.sim.commerce import MarketShop, with_products
from laotie.sim.people import DemoAccount, Shopper

REVIEWED_SHOPS = 12  # the first shops of the market get reviews
PRODUCTS_PER_SHOP = 2
BUYERS_PER_PRODUCT = (5, 8)
CLOTHING = ("服饰内衣", "鞋靴箱包", "运动户外")

GOOD_TEXTS = (
    "质量很好，做工精细，物流很快，第二天就到了",
    "性价比很高，和图片一样，包装很好",
    "客服很耐心，态度很好，发货快",
    "第二次回购了，质量不错，值得推荐",
    "东西收到了，包装严实，质感很好",
    "很划算，家里人都说好，物流很快",
)
MIXED_TEXTS = ("还行吧，质量一般，物流有点慢", "和描述差不多，包装一般", "东西可以，就是发货慢了两天")
BAD_TEXTS = (
    "做工粗糙，线头多，有色差，和图片不一样",
    "质量差，用了两天就坏了，客服也不理人",
    "物流太慢，等了好久，收到还有破损",
    "货不对板，颜色不一样，不推荐",
    "质量不好，起球严重，差评",
)
SIZE_SMALL = ("尺码偏小，平时穿M的建议拍大一码", "衣服好看但是偏小，小了一码", "码偏小，胖一点的要买大一号")
SIZE_OK = ("尺码标准，穿着舒服", "大小合适，颜色很正")
FOLLOWUPS_GOOD = ("用了一个月了，还是很好，不掉色", "洗了几次没有变形，会回购", "家人也很喜欢，又买了一件")
FOLLOWUPS_BAD = ("穿了两次就开线了", "洗了一次就掉色，后悔买了", "用了半个月坏了，售后也不管")
REPLIES_GOOD = ("谢谢老铁支持，欢迎再来！", "感谢您的认可，我们会继续保持品质", "亲的满意是我们最大的动力～")
REPLIES_BAD = ("抱歉给您带来不好的体验，请联系客服处理", "已反馈给仓库，给您添麻烦了")


@dataclass(frozen=True)
class Profile:
    """How a shop's buyers rate it: stars drawn from ``stars``, and how often the shop replies."""

    good: bool
    stars: tuple[int, ...]
    reply_rate: float


GOOD = Profile(True, (5, 5, 5, 5, 4, 4, 3), 0.8)
BAD = Profile(False, (1, 1, 2, 2, 3, 3, 4), 0.2)


def profile(index: int) -> Profile:
    return BAD if index % 3 == 2 else GOOD


def _text(rng: random.Random, prof: Profile, stars: int, sized: bool) -> str:
    if stars <= 2:
        words = rng.choice(BAD_TEXTS)
    elif stars == 3:
        words = rng.choice(MIXED_TEXTS)
    else:
        words = rng.choice(GOOD_TEXTS)
    if sized:
        size = rng.choice(SIZE_SMALL) if rng.random() < 0.7 else rng.choice(SIZE_OK)
        words = f"{size}，{words}"
    return words


def _sku(rng: random.Random, product: ProductDetail) -> SkuOut | None:
    skus = [s for s in product.skus if s.active and s.stock >= 3]
    return rng.choice(skus) if skus else None


def _has_reviews(session: Session, shop: MarketShop) -> bool:
    return reviews.shop_reviews(session, shop.owner, shop.shop_id, PageParams(limit=1)).total > 0


def _order(
    db: Database, cashier: Cashier, shop: MarketShop, buyer: Shopper, sku: SkuOut, start: datetime, key: str
) -> tuple[int, int]:
    """Buy, ship, sign for and confirm, each at its moment; (order id, line id)."""
    with at(start):
        order_id = cashier.buy(
            buyer.principal, buyer.address_id, [(sku.id, 1, sku.price_fen)], Attribution(), key
        )[0]
        cashier.settle()  # the payment's webhook event marks the order paid
    with at(start + timedelta(hours=6)), unit_of_work(db) as session:
        fulfilment.ship(session, shop.owner, shop.shop_id, order_id, "中通快递", f"ZT{order_id:010d}")
        session.commit()
    with at(start + timedelta(days=2)), unit_of_work(db) as session:
        fulfilment.mark_delivered(session, order_id)
        session.commit()
    with at(start + timedelta(days=3)), unit_of_work(db) as session:
        fulfilment.confirm_receipt(session, buyer.principal, order_id)
        line_id = orders.order_lines(session, order_id)[0].line_id
        session.commit()
    return order_id, line_id


def _review(
    db: Database,
    storage: FileStorage,
    rng: random.Random,
    shop: MarketShop,
    product: ProductDetail,
    buyer: Shopper,
    line_id: int,
    start: datetime,
    sized: bool,
) -> None:
    prof = profile(shop.index)
    stars = rng.choice(prof.stars)
    written = start + timedelta(days=3, hours=rng.randint(1, 30))
    with at(written), unit_of_work(db) as session:
        photo_ids = []
        if rng.random() < 0.3:
            data = images.product_image(
                product.title[:6], "买家实拍", f"review-{line_id}", rng.randint(0, 3), None
            )
            photo_ids.append(reviews.upload_photo(session, storage, buyer.principal, data).id)
        body = ReviewIn(
            order_line_id=line_id,
            product_stars=stars,
            service_stars=max(1, min(5, stars + rng.choice((0, 0, 1, -1)))),
            logistics_stars=max(1, min(5, stars + rng.choice((0, 1, 1, -1)))),
            text=_text(rng, prof, stars, sized),
            photo_ids=photo_ids,
            anonymous=rng.random() < 0.3,
        )
        review = reviews.create_review(session, buyer.principal, body)
        session.commit()
    if rng.random() < prof.reply_rate:
        with at(written + timedelta(hours=rng.randint(2, 20))), unit_of_work(db) as session:
            words = rng.choice(REPLIES_GOOD if stars >= 4 else REPLIES_BAD)
            reviews.reply(session, shop.owner, review.id, ReplyIn(text=words))
            session.commit()
    later = written + timedelta(days=rng.randint(10, 30))
    if rng.random() < 0.25 and later < clock.now():
        with at(later), unit_of_work(db) as session:
            words = rng.choice(FOLLOWUPS_GOOD if stars >= 4 else FOLLOWUPS_BAD)
            reviews.add_followup(session, buyer.principal, review.id, FollowupIn(text=words))
            session.commit()


def _seed_shop(
    db: Database, storage: FileStorage, cashier: Cashier, shop: MarketShop, buyers: list[Shopper]
) -> bool:
    rng = random.Random(f"laotie-demo-reviews-{shop.index}")
    with unit_of_work(db, read_only=True) as session:
        if _has_reviews(session, shop):
            return False
        products = [catalog.get_listed(session, pid) for pid in shop.product_ids[:PRODUCTS_PER_SHOP]]
    now = clock.now()
    for k, product in enumerate(products):
        sized = k == 0 and shop.top in CLOTHING
        people = rng.sample(buyers, k=min(len(buyers), rng.randint(*BUYERS_PER_PRODUCT)))
        for j, buyer in enumerate(people):
            sku = _sku(rng, product)
            if sku is None:
                break
            start = now - timedelta(days=rng.randint(22, 70), hours=rng.randint(0, 12))
            key = f"demo-review-{shop.shop_id}-{product.id}-{j}"
            _, line_id = _order(db, cashier, shop, buyer, sku, start, key)
            if rng.random() < 0.8:  # the rest write nothing: 系统默认好评 after 15 days
                _review(db, storage, rng, shop, product, buyer, line_id, start, sized)
    return True


def seed_reviews(
    db: Database, storage: FileStorage, media_dir: Path, market: list[MarketShop], people: list[DemoAccount]
) -> bool:
    """Reviews on the first ``REVIEWED_SHOPS`` shops, by the demo buyers and fans; whether anything
    was added. Orders are paid at the sandbox cashier as the live replays' are (``sim.cashier``)."""
    from laotie.sim import audience

    buyers = audience.shoppers(db, people) + audience.seed_fans(db)
    with unit_of_work(db, read_only=True) as session:
        shops = [with_products(session, s) for s in market[:REVIEWED_SHOPS]]
    changed = False
    cashier = Cashier(db, media_dir)
    try:
        for shop in shops:
            if shop.product_ids:
                changed |= _seed_shop(db, storage, cashier, shop, buyers)
        cashier.settle()  # OrderCompleted: the silent lines become due a default review
        with unit_of_work(db) as session:
            reviews.write_due_defaults(session, limit=10_000)
            session.commit()
        cashier.settle()  # the scores take every review event now
    finally:
        cashier.close()
    return changed

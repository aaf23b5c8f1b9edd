"""``laotie demo``: seed a believable marketplace through the real services, once.

Staff, merchants, shops and products are created exactly as people would create them: sign-up,
0元开店 application with qualification files, review, product drafts with images, submission and
approval. Each shop with its products commits on its own, so an interrupted run resumes where it
stopped, and a run over an already seeded database changes nothing and only reports the accounts.
Then the live-commerce side (``sim.commerce``): templates, promotions, creators, fans, live rooms,
short videos.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductCreate
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryNode
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import FileStorage, LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.governance import service as governance
from laotie.settings import get_settings
from laotie.shops import service as shop_service
from laotie.shops.schemas import ShopApply
from laotie.sim import images
from laotie.sim.commerce import COMMERCE_STEPS, MarketShop, seed_commerce
from laotie.sim.discovery import seed_discovery
from laotie.sim.governance import seed_governance
from laotie.sim.governance_integrity import seed_governance_integrity
from laotie.sim.licences import credit_code
from laotie.sim.names import BUYER_NICKNAMES, MERCHANT_NICKNAMES, SHOP_NAMES
from laotie.sim.people import DEMO_PASSWORD, DemoAccount, ensure_user, principal_of
from laotie.sim.products import plan_product
from laotie.sim.reviews import seed_reviews

ADMIN_PHONE = "13900000001"
GOVERNANCE_PHONE = "13900000002"
# Left for the governance console to decide: products in review, and shop applications.
WAITING_PRODUCTS = 6
PENDING_APPLICATIONS = (
    ("13800000001", "小周", "潮玩盲盒研究所", "周小舟", "玩具"),
    ("13800000002", "老郑", "郑记手工辣酱", "郑大海", "粮油调味"),
)
QUALIFICATION_TITLES = {
    "food_license": "食品经营许可证",
    "cosmetics_filing": "化妆品备案凭证",
    "ccc_certificate": "3C认证证书",
    "publication_license": "出版物经营许可证",
}


@dataclass(frozen=True)
class ShopSlot:
    """Where one demo shop sells: a second-level category, its top-level name and its leaves."""

    category_id: int
    name: str
    top: str
    leaves: list[CategoryNode]


def merchant_phone(index: int) -> str:
    return f"1370000{index:04d}"


def buyer_phone(index: int) -> str:
    return f"1360000{index:04d}"


def _leaves(node: CategoryNode) -> list[CategoryNode]:
    return [node] if not node.children else [leaf for c in node.children for leaf in _leaves(c)]


def shop_slots(tree: list[CategoryNode], count: int) -> list[ShopSlot]:
    """``count`` slots, taking second-level categories round-robin across the top level so that even
    a small demo shows clothes, food, beauty and more; past the end it starts again."""
    columns = [[(top, mid) for mid in top.children] or [(top, top)] for top in tree]
    depth = max((len(c) for c in columns), default=0)
    ordered = [c[i] for i in range(depth) for c in columns if i < len(c)]
    return [
        ShopSlot(mid.id, mid.name, top.name, _leaves(mid))
        for top, mid in (ordered[i % len(ordered)] for i in range(count if ordered else 0))
    ]


def _shop_name(slot: ShopSlot, index: int, used: set[str]) -> str:
    for candidate in SHOP_NAMES.get(slot.name, ()):
        if candidate not in used:
            return candidate
    return f"{slot.name}优选{index + 1}号店"


def _upload_qualifications(
    session: Session, storage: FileStorage, owner: Principal, shop_id: int, category_id: int, name: str
) -> None:
    """A scan for every document the main category requires (food licence, 3C certificate ...)."""
    for kind in categories.get_category(session, category_id).required_qualifications:
        title = QUALIFICATION_TITLES.get(kind, kind)
        scan = images.document_image(title, name, f"DEMO-{shop_id:06d}")
        shop_service.upload(session, storage, owner, shop_id, kind=kind, filename=f"{title}.jpg", data=scan)


def _open_shop(
    session: Session,
    storage: FileStorage,
    rng: random.Random,
    owner: Principal,
    reviewer: Principal,
    slot: ShopSlot,
    name: str,
    nickname: str,
) -> int:
    """Apply with licence and qualification scans, then pass review: the real 0元开店 path."""
    entity = rng.choice(["company", "individual_business"])
    licence = credit_code(rng, entity)
    phone = accounts.get_user_out(session, owner.user_id).phone or ""
    shop = shop_service.apply(
        session,
        owner,
        ShopApply(
            name=name,
            main_category_id=slot.category_id,
            entity_type=entity,
            legal_name=f"{name}商贸有限公司" if entity == "company" else f"{nickname}（个体工商户）",
            licence_number=licence,
            contact_phone=phone,
            description=f"{slot.top} · {slot.name}。源头好货，老铁放心买；有问题找店主{nickname}。",
        ),
    )
    scan = images.document_image("营业执照", name, licence)
    shop_service.upload(
        session, storage, owner, shop.id, kind="business_license", filename="营业执照.jpg", data=scan
    )
    _upload_qualifications(session, storage, owner, shop.id, slot.category_id, name)
    shop_service.approve(session, shop.id, reviewer)
    return shop.id


@dataclass
class SeededShop:
    """A demo shop, open, with ``have`` of the ``want`` listed products (plus ``waiting`` left in
    the review queue, so the governance console has work to show)."""

    index: int
    slot: ShopSlot
    shop_id: int
    owner: Principal
    account: DemoAccount
    have: int
    want: int = 0
    waiting: int = 0


def _seed_shop(
    db: Database, storage: FileStorage, reviewer: Principal, slot: ShopSlot, index: int, used: set[str]
) -> tuple[SeededShop, bool]:
    """The merchant and its open shop, created (and committed) unless they exist already."""
    phone = merchant_phone(index + 1)
    nickname = MERCHANT_NICKNAMES[index % len(MERCHANT_NICKNAMES)]
    with unit_of_work(db) as session:
        owner_id = ensure_user(session, phone, nickname, (Role.BUYER,))
        existing = shop_service.shops_of(session, owner_id)
        if existing:
            shop_id, name, created = existing[0].id, existing[0].name, False
        else:
            name = _shop_name(slot, index, used)
            rng = random.Random(f"laotie-demo-shop-{index}")
            owner = principal_of(session, owner_id)
            shop_id = _open_shop(session, storage, rng, owner, reviewer, slot, name, nickname)
            created = True
        owner = principal_of(session, owner_id)
        have = catalog.list_shop_products(session, owner, shop_id, PageParams(limit=1)).total
        session.commit()
    used.add(name)
    account = DemoAccount(phone, DEMO_PASSWORD, "merchant", nickname, name)
    return SeededShop(index, slot, shop_id, owner, account, have), created


def _add_product(
    session: Session, storage: FileStorage, reviewer: Principal, shop: SeededShop, k: int
) -> bool:
    """Draft, picture, submit and approve product ``k`` of a shop, as its merchant and a reviewer
    would. Its randomness depends only on (shop, k), so a resumed run makes the same product."""
    rng = random.Random(f"laotie-demo-product-{shop.index}-{k}")
    leaf = shop.slot.leaves[k % len(shop.slot.leaves)]
    serial = shop.index * 1000 + k
    plan = plan_product(rng, leaf.name, shop.slot.top, serial)
    body = ProductCreate.model_validate({**plan.body, "category_id": leaf.id})
    product = catalog.create_product(session, shop.owner, shop.shop_id, body)
    for variant in range(1 if rng.random() < 0.5 else 2):
        data = images.product_image(plan.short, plan.subtitle, f"{serial}:{plan.short}", variant)
        filename = f"{plan.short}-{variant + 1}.jpg"
        catalog.add_image(session, storage, shop.owner, product.id, filename, "image/jpeg", data)
    catalog.submit_for_review(session, shop.owner, product.id)
    if k < shop.want:
        catalog.approve(session, reviewer, product.id)
        return True
    return False


def _pending_applications(
    db: Database, storage: FileStorage, tree: list[CategoryNode]
) -> tuple[bool, list[DemoAccount]]:
    """0元开店 applications waiting for review: the first with its papers complete (a reviewer can
    approve it), the second missing its licence (a reviewer has to reject it)."""
    by_name = {mid.name: mid.id for top in tree for mid in top.children}
    created, found = False, []
    for n, (phone, nickname, name, legal_name, category) in enumerate(PENDING_APPLICATIONS):
        if category not in by_name:
            continue
        with unit_of_work(db) as session:
            user_id = ensure_user(session, phone, nickname, (Role.BUYER,))
            if not shop_service.shops_of(session, user_id):
                applicant = principal_of(session, user_id)
                body = ShopApply(
                    name=name,
                    main_category_id=by_name[category],
                    entity_type="person",
                    legal_name=legal_name,
                    contact_phone=phone,
                    description="新店开张，等待平台审核。",
                )
                shop = shop_service.apply(session, applicant, body)
                if n == 0:
                    _upload_qualifications(session, storage, applicant, shop.id, by_name[category], name)
                created = True
            session.commit()
        found.append(DemoAccount(phone, DEMO_PASSWORD, "applicant", nickname, name))
    return created, found


def _staff(db: Database) -> tuple[Principal, list[DemoAccount]]:
    with unit_of_work(db) as session:
        ensure_user(session, ADMIN_PHONE, "平台管理员", (Role.ADMIN, Role.GOVERNANCE))
        reviewer_id = ensure_user(session, GOVERNANCE_PHONE, "治理小二", (Role.GOVERNANCE,))
        reviewer = principal_of(session, reviewer_id)
        session.commit()
    return reviewer, [
        DemoAccount(ADMIN_PHONE, DEMO_PASSWORD, "admin", "平台管理员", "治理后台 /governance"),
        DemoAccount(GOVERNANCE_PHONE, DEMO_PASSWORD, "governance", "治理小二", "审核店铺与商品"),
    ]


def _buyers(db: Database) -> list[DemoAccount]:
    with unit_of_work(db) as session:
        for i, nickname in enumerate(BUYER_NICKNAMES):
            ensure_user(session, buyer_phone(i + 1), nickname, (Role.BUYER,))
        session.commit()
    return [
        DemoAccount(buyer_phone(i + 1), DEMO_PASSWORD, "buyer", nickname)
        for i, nickname in enumerate(BUYER_NICKNAMES)
    ]


def seed_demo(
    database_url: str,
    shops: int,
    products: int,
    console: Console,
    media_dir: Path | None = None,
    live_commerce: bool = True,
    governance: bool = True,
) -> list[DemoAccount]:
    """Seed (or find) the demo marketplace and return its accounts. Needs a migrated database.

    Products are added one round at a time across all shops (and committed per round), so the
    newest shelf shows many shops rather than the last one seeded. Then, unless ``live_commerce``
    is false (a plain shelf, for tests of the shelf alone), the live-commerce side (sim.commerce);
    unless ``governance`` is false, the governance scene (reports, cases and the penalties they impose)."""
    n_shops = max(shops, 0)
    n_products = max(products, 0) if n_shops else 0
    db = Database(database_url)
    media = media_dir or get_settings().media_dir
    storage = LocalDiskStorage(media)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    changed = False
    try:
        reviewer, staff = _staff(db)
        with unit_of_work(db, read_only=True) as session:
            tree = categories.tree(session)
        slots = shop_slots(tree, n_shops)
        applicants: list[DemoAccount] = []
        creators: list[DemoAccount] = []
        seeded: list[SeededShop] = []
        used_names: set[str] = set()
        with Progress(*columns, console=console) as progress:
            shop_task = progress.add_task("开店 shops", total=n_shops)
            product_task = progress.add_task("上架商品 products", total=n_products)
            for i, slot in enumerate(slots):
                shop, created = _seed_shop(db, storage, reviewer, slot, i, used_names)
                shop.want = n_products // n_shops + (1 if i < n_products % n_shops else 0)
                shop.waiting = 1 if i < WAITING_PRODUCTS else 0
                seeded.append(shop)
                changed |= created
                progress.advance(shop_task)
                progress.advance(product_task, min(shop.have, shop.want))
            for k in range(max((s.want + s.waiting for s in seeded), default=0)):
                due = [s for s in seeded if s.have <= k < s.want + s.waiting]
                if not due:
                    continue
                with unit_of_work(db) as session:
                    for shop in due:
                        if _add_product(session, storage, reviewer, shop, k):
                            progress.advance(product_task)
                    session.commit()
                changed = True
            if n_shops >= len(PENDING_APPLICATIONS) * 2:
                made, applicants = _pending_applications(db, storage, tree)
                changed |= made
            buyers = _buyers(db)
            if seeded and live_commerce:
                commerce_task = progress.add_task("直播电商 live commerce", total=COMMERCE_STEPS)
                market = [MarketShop(s.index, s.shop_id, s.owner, s.account.note, s.slot.top) for s in seeded]
                creators, made = seed_commerce(
                    db, storage, media, market, reviewer, buyers, console, progress, commerce_task
                )
                changed |= made
                changed |= seed_reviews(db, storage, media, market, buyers)  # sim.reviews
                _rulebook(db)  # the inspections below open cases under rules: the rulebook comes first
                changed |= seed_governance_integrity(db, media, market, reviewer, buyers)
        if changed:
            seed_discovery(db)  # search index and a week of searches (sim.discovery)
        if n_shops and governance:
            changed |= seed_governance(db)  # rulebook, reports, cases (sim.governance)
    finally:
        db.dispose()
    if not changed and n_shops:
        console.print(
            "[green]演示数据已存在[/green] the demo marketplace was seeded before; nothing changed."
        )
    return staff + buyers + [s.account for s in seeded] + creators + applicants


def _rulebook(db: Database) -> None:
    """The platform's rulebook (sim.governance seeds it too; loading it twice adds nothing)."""
    with unit_of_work(db) as session:
        governance.seed_rules(session)
        session.commit()


ROLE_LABELS = {
    "admin": "管理员 admin",
    "governance": "治理 governance",
    "buyer": "买家 buyer",
    "merchant": "商家 merchant",
    "creator": "达人 creator",
    "applicant": "待审核 applicant",
}


def print_accounts(accounts_: list[DemoAccount], console: Console) -> None:
    table = Table(title=f"演示账号 demo accounts · 密码 password: {DEMO_PASSWORD}")
    table.add_column("角色 role", no_wrap=True)
    table.add_column("手机号 phone", style="bold", no_wrap=True)
    table.add_column("密码 password", no_wrap=True)
    table.add_column("昵称 · 店铺 nickname · shop", overflow="fold")
    for a in accounts_:
        who = f"{a.nickname} · {a.note}" if a.note else a.nickname
        table.add_row(ROLE_LABELS.get(a.role, a.role), a.phone, a.password, who)
    console.print(table)

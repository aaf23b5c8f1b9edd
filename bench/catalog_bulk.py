"""A benchmark catalogue of any size, written straight to its tables: the rows the services would write.

    from catalog_bulk import bulk_seed
    report = bulk_seed("sqlite:///var/bench.db", 1_000_000)

``catalog_seed.seed_catalog`` goes through the real services (~134 products/s on 2 cores): right for
10,000 products, two hours for a million. This writes, in bulk, what those service calls leave
behind for a listed product (``python bench/catalog_bulk.py --compare`` lists both side by side):

- ``accounts_user`` + ``accounts_user_role``: a reviewer (governance) and one owner per shop
  (buyer, merchant_owner), password ``catalog_seed.PASSWORD``;
- ``shops_shop`` (open, approved), ``shops_member`` (owner), ``shops_event`` (applied, approved);
- ``catalog_product`` (listed, with the shelf's denormalised min price, original price and total
  stock as ``products.refresh_summary`` computes them), ``catalog_sku`` (one per attribute
  combination, ``attrs_key`` spelt by ``rules.attrs_key``), ``catalog_price_change`` (each SKU's first
  price, reason ``created``) and ``catalog_product_event`` (created, submitted, approved);
- the search index, by the real ``laotie search reindex`` code (``search=True``), since search
  reads ``search_doc``, not the catalog.

Left out: the outbox rows (``core_outbox_event``) the services emit. Their handlers build the search
index (done here by the reindex instead), the scores domain's price points (价格力, read by price
competitiveness and search ranking only: the shelf, product detail, product page and ordering do
not read them; the product page's DSR reads shop scores, absent either way) and the governance
brand check on submission (bench titles name no brand). So a bulk-seeded server starts with an
empty outbox, where a service-seeded one first works through ~5 events per product.

Rows go in with Core ``executemany`` in chunks on SQLite and ``COPY`` on PostgreSQL, ids assigned
here (the PostgreSQL sequences are moved past them afterwards). Products are made as
``catalog_seed._product`` makes them (same titles, attribute shapes, prices and stock ranges).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from sqlalchemy import Connection, Table, func, inspect, select, text  # noqa: E402

from catalog_seed import _ADJECTIVES, _COLOURS, _NOUNS, _PLACES, _SIZES, PASSWORD  # noqa: E402
from laotie.accounts.models import User, UserRole  # noqa: E402
from laotie.catalog import filing  # noqa: E402
from laotie.catalog.models import PriceChange, Product, ProductEvent, ProductStatus, Sku  # noqa: E402
from laotie.catalog.rules import attrs_key  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.core import clock  # noqa: E402
from laotie.core.auth import Role, hash_password  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.migrations import upgrade  # noqa: E402
from laotie.shops.licence import check_character  # noqa: E402
from laotie.shops.models import MemberRole, ReviewState, Shop, ShopEvent, ShopMember, ShopStatus  # noqa: E402

CHUNK = 10_000  # products per round trip: ~25,000 SKUs, price changes and events with them
SQLITE_ROWS = 5_000  # rows per executemany


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


PRODUCTS, SKUS, PRICES, EVENTS = (_table(m) for m in (Product, Sku, PriceChange, ProductEvent))


class _Ids:
    """The next free id of each table (a fresh or emptied database; nobody else writes meanwhile)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._next: dict[str, int] = {}

    def take(self, table: Table, count: int) -> int:
        if table.name not in self._next:
            self._next[table.name] = (self._conn.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self._next[table.name]
        self._next[table.name] = first + count
        return first

    def move_sequences(self) -> None:
        """PostgreSQL: serial columns continue after the ids written here."""
        for name, next_id in self._next.items():
            self._conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": name, "v": next_id - 1}
            )


def _write(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> None:
    """COPY on PostgreSQL; Core executemany (the dialect's own binds) on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    for start in range(0, len(rows), SQLITE_ROWS):
        conn.execute(
            table.insert(), [dict(zip(columns, r, strict=True)) for r in rows[start : start + SQLITE_ROWS]]
        )


def _json(value: Any, conn: Connection) -> Any:
    """JSON columns: a string for COPY, the value itself for Core (which serialises it)."""
    return json.dumps(value, ensure_ascii=False) if conn.dialect.name == "postgresql" else value


def _licence(n: int) -> str:
    first17 = f"92330100MB{n:07d}"  # not catalog_seed's series: both may seed one database
    return first17 + str(check_character(first17))


def _people_and_shops(conn: Connection, ids: _Ids, count: int, leaf: int, now: datetime) -> list[int]:
    """A reviewer and ``count`` approved, open shops with their owners; returns the shop ids."""
    hashed = hash_password(PASSWORD)
    first_user = ids.take(_table(User), count + 1)
    reviewer = first_user
    users = [(reviewer, "13400000000", hashed, "审核员", "", now)]
    roles = [(reviewer, Role.GOVERNANCE.value, now)]
    first_shop = ids.take(_table(Shop), count)
    first_event = ids.take(_table(ShopEvent), 2 * count)
    shops: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for n in range(count):
        owner, shop = first_user + 1 + n, first_shop + n
        users.append((owner, f"135{n:08d}", hashed, f"批量店主{n}", "", now))
        roles += [(owner, Role.BUYER.value, now), (owner, Role.MERCHANT_OWNER.value, now)]
        name = f"老铁好物{n:05d}号店"
        shops.append(
            (shop, name, owner, ShopStatus.OPEN.value, ReviewState.APPROVED.value, "", leaf)  # noqa: RUF005
            + ("individual_business", f"批量个体户{n}", _licence(n), f"133{n:08d}", "")
            + (now, now, now, "")
        )
        members.append((shop, owner, MemberRole.OWNER.value, now))
        data = _json({}, conn)
        events.append((first_event + 2 * n, shop, owner, "applied", None, None, "", data, now))
        events.append(
            (first_event + 2 * n + 1, shop, reviewer, "approved", "applying", "open", "", data, now)
        )
    _write(conn, _table(User), users, ["id", "phone", "password_hash", "nickname", "bio", "created_at"])
    _write(conn, _table(UserRole), roles, ["user_id", "role", "granted_at"])
    shop_columns = ["id", "name", "owner_id", "status", "review_state", "review_reason", "main_category_id"]
    shop_columns += ["entity_type", "legal_name", "licence_number", "contact_phone", "description"]
    shop_columns += ["created_at", "submitted_at", "opened_at", "withdrawals_frozen_reason"]
    _write(conn, _table(Shop), shops, shop_columns)
    _write(conn, _table(ShopMember), members, ["shop_id", "user_id", "role", "added_at"])
    event_columns = ["id", "shop_id", "actor_id", "kind", "from_status", "to_status", "reason", "data", "at"]
    _write(conn, _table(ShopEvent), events, event_columns)
    return [reviewer, *range(first_shop, first_shop + count)]


_PRODUCT_COLUMNS = ["id", "shop_id", "category_id", "title", "description", "size_chart", "status"]
_PRODUCT_COLUMNS += [
    "review_reason",
    "purchase_limit",
    "attributes",
    "min_price_fen",
    "min_original_price_fen",
]
_PRODUCT_COLUMNS += ["total_stock", "sales_count", "created_at", "updated_at", "submitted_at", "listed_at"]
_PRODUCT_COLUMNS += ["category_l1_id", "category_l2_id"]  # as catalog.filing.file_under writes them
_SKU_COLUMNS = ["id", "product_id", "attrs", "attrs_key", "price_fen", "original_price_fen", "stock"]
_SKU_COLUMNS += ["sku_code", "active"]
_PRICE_COLUMNS = ["id", "sku_id", "old_price_fen", "new_price_fen", "changed_at", "changed_by", "reason"]
_EVENT_COLUMNS = ["id", "product_id", "actor_id", "kind", "from_status", "to_status", "reason", "data", "at"]


def _shape(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Attributes and SKU attribute sets, drawn as ``catalog_seed._product`` draws them."""
    attributes: list[dict[str, Any]] = []
    shape = rng.random()
    if shape > 0.4:
        attributes.append({"name": "颜色", "values": rng.sample(_COLOURS, rng.randint(2, 3))})
    if shape > 0.8:
        attributes.append({"name": "尺码", "values": rng.sample(_SIZES, 2)})
    combos: list[dict[str, str]] = [{}]
    for attribute in attributes:
        combos = [{**c, attribute["name"]: v} for c in combos for v in attribute["values"]]
    return attributes, combos


def _chunk(
    conn: Connection,
    ids: _Ids,
    rng: random.Random,
    serials: range,
    shops: list[tuple[int, int]],
    leaves: list[int],
    reviewer: int,
    start: datetime,
    filed: dict[int, tuple[int | None, int | None]],
) -> int:
    """Products ``serials`` with their SKUs, first prices and trail; returns how many SKUs."""
    product_id = ids.take(PRODUCTS, len(serials))
    event_id = ids.take(EVENTS, 3 * len(serials))
    products: list[tuple[Any, ...]] = []
    skus: list[tuple[Any, ...]] = []
    prices: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    empty = _json({}, conn)
    for serial in serials:
        owner, shop_id = shops[serial % len(shops)]
        category_id = rng.choice(leaves)
        title = f"{rng.choice(_PLACES)}{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)} {serial}号"
        attributes, combos = _shape(rng)
        base = rng.randint(99, 99_900)
        at = start + timedelta(milliseconds=serial)  # listed in serial order, as the services would
        first_sku = ids.take(SKUS, len(combos))
        first_price = ids.take(PRICES, len(combos))
        total_stock = 0
        for i, attrs in enumerate(combos):
            price, stock = base + 100 * i, rng.randint(0, 500)
            total_stock += stock
            sku_id = first_sku + i
            skus.append(
                (
                    sku_id,
                    product_id,
                    _json(attrs, conn),
                    attrs_key(attrs),
                    price,
                    2 * price,
                    stock,
                    None,
                    True,
                )
            )
            prices.append((first_price + i, sku_id, None, price, at, owner, "created"))
        products.append(
            (product_id, shop_id, category_id, title, f"{title}，产地直发，七天无理由退货。", None)
            + (ProductStatus.LISTED.value, "", None, _json(attributes, conn), base, 2 * base)
            + (total_stock, 0, at, at, at, at)
            + filed[category_id]
        )
        events.append((event_id, product_id, owner, "created", None, None, "", empty, at))
        events.append((event_id + 1, product_id, owner, "submitted", "draft", "in_review", "", empty, at))
        events.append((event_id + 2, product_id, reviewer, "approved", "in_review", "listed", "", empty, at))
        product_id, event_id = product_id + 1, event_id + 3
    _write(conn, PRODUCTS, products, _PRODUCT_COLUMNS)
    _write(conn, SKUS, skus, _SKU_COLUMNS)
    _write(conn, PRICES, prices, _PRICE_COLUMNS)
    _write(conn, EVENTS, events, _EVENT_COLUMNS)
    return len(skus)


def _prepare(database_url: str) -> tuple[Database, list[int]]:
    """Migrate a database that has no schema yet, seed the category tree if empty; the leaf ids."""
    db = Database(database_url)
    if not inspect(db.engine).has_table("catalog_product"):
        db.dispose()
        upgrade(database_url)
        db = Database(database_url)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
        leaves = categories.leaf_ids(session)
    return db, leaves


def _filed(db: Database) -> dict[int, tuple[int | None, int | None]]:
    """Each category's ancestors at levels 1 and 2, the copies a product keeps (``catalog.filing``)."""
    with db.engine.connect() as conn:
        return {c: filing.ancestors(ids) for c, ids in categories.all_lineages(conn).items()}


def _bar(progress: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not progress,
    )


def bulk_seed(
    database_url: str,
    products: int,
    *,
    shops: int = 100,
    progress: bool = True,
    search: bool = True,
    seed: int = 20240601,
) -> dict[str, Any]:
    """Fill a fresh (or freshly emptied) database with ``products`` listed, approved products in
    ``shops`` open shops across the leaf categories, each with SKUs, stock and first prices; build
    the search index too unless ``search`` is false. Returns a report like ``SeedReport.summary``."""
    if products < 1 or shops < 1:
        raise ValueError("products and shops must be at least 1")
    rng = random.Random(seed)
    started = time.perf_counter()
    db, leaves = _prepare(database_url)
    filed = _filed(db)
    report: dict[str, Any] = {"products": products, "shops": min(shops, products)}
    try:
        now = clock.now()
        start = now - timedelta(milliseconds=products)
        skus = 0
        with db.engine.connect() as conn, _bar(progress) as bar:
            task = bar.add_task(f"bulk seeding {db.engine.dialect.name}", total=products)
            ids = _Ids(conn)
            reviewer, *shop_ids = _people_and_shops(conn, ids, report["shops"], leaves[0], now)
            owners = [(shop - shop_ids[0] + reviewer + 1, shop) for shop in shop_ids]
            for first in range(0, products, CHUNK):
                serials = range(first, min(first + CHUNK, products))
                skus += _chunk(conn, ids, rng, serials, owners, leaves, reviewer, start, filed)
                conn.commit()
                bar.advance(task, len(serials))
            if conn.dialect.name == "postgresql":
                ids.move_sequences()
                conn.execute(text("ANALYZE"))  # the planner should know the tables are big now
                conn.commit()
        report["skus"] = skus
        report["seconds_rows"] = round(time.perf_counter() - started, 1)
        if search:
            report["seconds_search_index"] = round(_index(db, products, progress), 1)
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    report["seconds"] = round(seconds, 1)
    report["products_per_s"] = round(products / seconds, 1)
    report["how"] = (
        "in bulk (Core executemany on SQLite, COPY on PostgreSQL): the rows the services write for a "
        "listed product, without outbox events"
        + ("; search index by the real reindex" if search else "; no search index")
    )
    return report


def _index(db: Database, products: int, progress: bool) -> float:
    from laotie.search.reindex import reindex_all

    started = time.perf_counter()
    with _bar(progress) as bar:
        task = bar.add_task("search index", total=products)

        def step(what: str, done: int, total: int | None) -> None:
            if what == "products":
                bar.update(task, completed=done)

        reindex_all(db, step)
    return time.perf_counter() - started


def _table_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            names = inspect(conn).get_table_names()
            counts = {n: conn.scalar(text(f'SELECT count(*) FROM "{n}"')) or 0 for n in names}
    finally:
        db.dispose()
    return {n: c for n, c in sorted(counts.items()) if c}


def _compare(products: int) -> None:
    """Rows per table after seeding ``products`` through the services and in bulk (SQLite)."""
    import tempfile

    from catalog_seed import seed_catalog

    workdir = Path(tempfile.mkdtemp(prefix="laotie-bench-bulk-"))
    services, bulk = f"sqlite:///{workdir / 'services.db'}", f"sqlite:///{workdir / 'bulk.db'}"
    seed_catalog(services, products)
    bulk_seed(bulk, products, shops=max(1, products // 100), progress=False)
    a, b = _table_counts(services), _table_counts(bulk)
    for name in sorted(set(a) | set(b)):
        print(f"{name:32} services {a.get(name, 0):>8}   bulk {b.get(name, 0):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", nargs="?", help="database URL (a fresh or empty database)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--shops", type=int, default=100)
    parser.add_argument("--no-search", action="store_true", help="do not build the search index")
    parser.add_argument("--compare", action="store_true", help="rows per table, services vs bulk (SQLite)")
    args = parser.parse_args()
    if args.compare:
        _compare(args.products)
        return
    if not args.url:
        parser.error("a database URL is needed (or --compare)")
    print(
        json.dumps(bulk_seed(args.url, args.products, shops=args.shops, search=not args.no_search), indent=2)
    )


if __name__ == "__main__":
    main()

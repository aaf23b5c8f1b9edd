"""Pricing benchmark: a cart of 10 lines across 3 shops under 50 active promotions and coupons.

    python bench/pricing.py [--json] [--iterations 5000] [--checkouts 200]

Seeds a fresh SQLite database (in a temporary directory) through the real services: 3 shops with
10 listed SKUs, and 50 promotions: 12 multi-buys, 18 shop coupons, 5 platform coupons (each on a
budget), a campaign with 10 approved items, 5 subsidies. Each buyer holds one coupon of each shop
and one platform coupon, and chooses them all. Measured, per cart:

- ``price``: the pure pricing function alone (offers already read), in-process;
- ``price_cart``: what placement does per checkout: read the offers and the chosen coupons from the
  database, check them and price (one read-only session per cart), in-process;
- ``quote_http``: ``POST /api/v1/checkout/quote`` through the whole app (in-process ASGI client);
- ``checkout_http``: ``POST /api/v1/checkout`` placing the 3 orders with every promotion and
  claiming coupons and budgets, through the whole app (in-process ASGI client, one at a time).

Prints a table; with ``--json`` writes ``bench/results/pricing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from laotie.accounts import service as accounts  # noqa: E402
from laotie.addresses import service as addresses  # noqa: E402
from laotie.addresses.schemas import AddressCreate  # noqa: E402
from laotie.app import create_app  # noqa: E402
from laotie.catalog import service as catalog  # noqa: E402
from laotie.catalog.schemas import ProductCreate, SkuIn  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.core import clock  # noqa: E402
from laotie.core.auth import Principal, Role, hash_password  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.orders.pricing import cart_of  # noqa: E402
from laotie.promotions import service as promotions  # noqa: E402
from laotie.promotions.offers import chosen_coupons, offers_for  # noqa: E402
from laotie.promotions.pricing import price  # noqa: E402
from laotie.promotions.schemas import (  # noqa: E402
    CampaignIn,
    CouponIn,
    EnrolIn,
    MultiBuyIn,
    PlatformCouponIn,
    SubsidyIn,
    TierIn,
)
from laotie.settings import Settings  # noqa: E402
from laotie.shops import service as shops  # noqa: E402
from laotie.shops.licence import check_character  # noqa: E402
from laotie.shops.schemas import ShopApply  # noqa: E402

console = Console()
PASSWORD = "bench12345"
ADDRESS = {
    "recipient": "王五",
    "province_code": "330000",
    "city_code": "330100",
    "district_code": "330106",
    "detail": "文三路478号",
}
SKUS_PER_SHOP = (4, 3, 3)


def _p(user_id: int, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


def _licence(n: int) -> str:
    first17 = f"92110000MA{n:07d}"
    return first17 + check_character(first17)


def seed(db: Database, buyers: int) -> dict[str, Any]:
    """Shops, SKUs, 50 promotions and buyers holding coupons; returns what the runs need."""
    computed = hash_password(PASSWORD)
    accounts.hash_password = lambda password: computed  # type: ignore[assignment]
    now = clock.now()
    start, end = now - timedelta(hours=1), now + timedelta(days=30)
    with unit_of_work(db) as s:
        categories.seed_default_tree(s)
        staff = accounts.register(s, password=PASSWORD, phone="13700000000", roles=(Role.GOVERNANCE,))
        reviewer = _p(staff.id, Role.GOVERNANCE)
        leaf = categories.leaf_ids(s)[0]
        skus: list[tuple[int, int]] = []  # (sku, price)
        shop_ids: list[int] = []
        owners: dict[int, Principal] = {}
        for n, count in enumerate(SKUS_PER_SHOP, start=1):
            owner = accounts.register(s, password=PASSWORD, phone=f"137000000{n:02d}")
            merchant = _p(owner.id, Role.BUYER)
            shop = shops.apply(
                s,
                merchant,
                ShopApply(
                    name=f"优惠测试店{n}",
                    main_category_id=leaf,
                    entity_type="individual_business",
                    legal_name=f"优惠测试个体户{n}",
                    licence_number=_licence(n),
                    contact_phone=f"137000000{n:02d}",
                ),
            )
            shops.approve(s, shop.id, reviewer)
            merchant = _p(owner.id, Role.MERCHANT_OWNER)
            shop_ids.append(shop.id)
            owners[shop.id] = merchant
            for k in range(count):
                product = catalog.create_product(
                    s,
                    merchant,
                    shop.id,
                    ProductCreate(
                        category_id=leaf,
                        title=f"店{n}商品{k}",
                        description="优惠基准",
                        attributes=[],
                        skus=[SkuIn(attrs={}, price_fen=5000 + 1000 * k + 300 * n, stock=1_000_000)],
                    ),
                )
                catalog.submit_for_review(s, merchant, product.id)
                catalog.approve(s, reviewer, product.id)
                skus.append((product.skus[0].id, product.skus[0].price_fen))
            for m in range(4):
                promotions.create_shop_multibuy(
                    s,
                    merchant,
                    shop.id,
                    MultiBuyIn(
                        name=f"多件多折{m}",
                        tiers=[
                            TierIn(pieces=2, percent_off_bp=300 + 100 * m),
                            TierIn(pieces=3, percent_off_bp=800),
                        ],
                        starts_at=start,
                        ends_at=end,
                    ),
                )
            for c in range(6):
                promotions.create_shop_coupon(
                    s,
                    merchant,
                    shop.id,
                    CouponIn(
                        name=f"满{100 + c * 20}减{10 + c}",
                        threshold_fen=10000 + c * 2000,
                        cut_fen=1000 + c * 100,
                        per_buyer_limit=1,
                        total_quantity=1_000_000,
                        valid_from=start,
                        valid_until=end,
                    ),
                )
        for c in range(5):
            promotions.create_platform_coupon(
                s,
                reviewer,
                PlatformCouponIn(
                    name=f"平台满300减{20 + c}",
                    threshold_fen=30000,
                    cut_fen=2000 + c * 100,
                    per_buyer_limit=1,
                    total_quantity=1_000_000,
                    valid_from=start,
                    valid_until=end,
                    budget_fen=10**11,
                ),
            )
        campaign = promotions.create_campaign(
            s, reviewer, CampaignIn(name="双11", starts_at=start, ends_at=end, auto_approve=True)
        )
        for sku_id, price_fen in skus:
            shop_id = catalog.skus_for_sale(s, [sku_id])[sku_id].shop_id
            promotions.enrol(
                s,
                owners[shop_id],
                shop_id,
                EnrolIn(campaign_id=campaign.id, sku_id=sku_id, campaign_price_fen=price_fen - 300),
            )
        for sku_id, _ in skus[::2]:
            promotions.create_subsidy(
                s,
                reviewer,
                SubsidyIn(sku_id=sku_id, per_unit_fen=500, budget_fen=10**11, starts_at=start, ends_at=end),
            )
        s.commit()
        shop_coupons = [[c.id for c in promotions.shop_coupons(s, owners[sid], sid)] for sid in shop_ids]
        platform = [c.id for c in promotions.claimable(s, None)]
        people: list[dict[str, Any]] = []
        for i in range(buyers):
            user = accounts.register(s, password=PASSWORD, phone=f"1390{i:07d}")
            token, _ = accounts.issue_token(s, user, "pricing bench")
            book = addresses.create_address(
                s, user.id, AddressCreate.model_validate({**ADDRESS, "phone": f"1380{i:07d}"})
            )
            buyer = _p(user.id, Role.BUYER)
            wallet = [promotions.claim(s, buyer, ids[i % len(ids)]).id for ids in shop_coupons]
            wallet.append(promotions.claim(s, buyer, platform[i % len(platform)]).id)
            people.append({"id": user.id, "token": token, "address_id": book.id, "coupons": wallet})
        s.commit()
    return {"skus": skus, "shops": shop_ids, "buyers": people}


def _quantities(i: int) -> list[int]:
    return [1 + (i + k) % 3 for k in range(10)]


def timed(fn: Callable[[int], object], n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process-CPU milliseconds of each call (CPU excludes waiting for a core: the
    machine is shared, so wall-clock tails mostly measure other processes)."""
    wall, cpu = [], []
    for i in range(n):
        t, c = time.perf_counter_ns(), time.process_time_ns()
        fn(i)
        cpu.append((time.process_time_ns() - c) / 1e6)
        wall.append((time.perf_counter_ns() - t) / 1e6)
    return wall, cpu


def _pct(ordered: list[float], q: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3)


def summary(samples: tuple[list[float], list[float]]) -> dict[str, float]:
    wall, cpu = sorted(samples[0]), sorted(samples[1])
    return {
        "n": len(wall),
        "p50_ms": round(statistics.median(wall), 3),
        "p99_ms": _pct(wall, 0.99),
        "max_ms": round(wall[-1], 3),
        "mean_ms": round(statistics.fmean(wall), 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": _pct(cpu, 0.99),
    }


def run(iterations: int, checkouts: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="laotie-pricing-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    started = time.perf_counter()
    world = seed(db, buyers=max(checkouts, 50))
    seed_s = time.perf_counter() - started
    skus = world["skus"]
    results: dict[str, Any] = {}
    with unit_of_work(db, read_only=True) as s:
        found = catalog.skus_for_sale(s, [sku for sku, _ in skus])
        buyer = world["buyers"][0]
        now = clock.now()
        book = promotions.load_book(s, found, world["shops"], now)
        coupons = chosen_coupons(s, buyer["id"], buyer["coupons"], set(world["shops"]), now)
        offers = offers_for(book, coupons, False)
        active = len(book.campaign) + len(book.subsidy) + len(book.multibuys)
        carts = [
            cart_of([(found[sku], q) for (sku, _), q in zip(skus, _quantities(i), strict=True)])
            for i in range(3)
        ]
        check = price(carts[0], offers)
        assert len(check.lines) == 10 and len(check.shops()) == 3 and check.discount_fen > 0
        assert not check.unused_coupons, check.unused_coupons
        for _ in range(200):
            price(carts[0], offers)
        results["price"] = summary(timed(lambda i: price(carts[i % 3], offers), iterations))

        def db_price(i: int) -> None:
            t = clock.now()
            b = promotions.load_book(s, found, world["shops"], t)
            promotions.price_cart(s, b, buyer["id"], carts[i % 3], buyer["coupons"], None, False, t)

        results["price_cart"] = summary(timed(db_price, max(iterations // 5, 200)))
    settings = Settings(database_url=url, media_dir=workdir / "media", embedded_worker=False)
    app = create_app(settings, db=db)
    with TestClient(app) as client:
        lines_quote = [
            {"sku_id": sku, "quantity": q} for (sku, _), q in zip(skus, _quantities(0), strict=True)
        ]

        def quote(i: int) -> None:
            b = world["buyers"][i % len(world["buyers"])]
            r = client.post(
                "/api/v1/checkout/quote",
                json={"lines": lines_quote, "coupon_ids": b["coupons"]},
                headers={"Authorization": f"Bearer {b['token']}"},
            )
            assert r.status_code == 200, r.text

        timed(quote, 50)
        results["quote_http"] = summary(timed(quote, max(iterations // 10, 200)))

        def checkout(i: int) -> None:
            b = world["buyers"][i]
            r = client.post(
                "/api/v1/checkout",
                json={
                    "lines": [
                        {"sku_id": sku, "quantity": q, "expected_unit_price_fen": p}
                        for (sku, p), q in zip(skus, _quantities(i), strict=True)
                    ],
                    "address_id": b["address_id"],
                    "coupon_ids": b["coupons"],
                },
                headers={"Authorization": f"Bearer {b['token']}", "Idempotency-Key": f"bench-{i}"},
            )
            assert r.status_code == 201, r.text
            assert len(r.json()["orders"]) == 3

        results["checkout_http"] = summary(timed(checkout, checkouts))
    db.dispose()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {
        "benchmark": "pricing",
        "cart": {"lines": 10, "shops": 3},
        "promotions": {
            "multibuys": 12,
            "shop_coupons": 18,
            "platform_coupons": 5,
            "campaign_items": len(skus),
            "subsidies": len(skus[::2]),
            "active_for_cart": active,
            "coupons_chosen": len(coupons),
        },
        "seed_seconds": round(seed_s, 1),
        "results": results,
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu,
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
    }


def table(result: dict[str, Any]) -> Table:
    t = Table(title="pricing: 10 lines, 3 shops, 50 promotions and coupons (ms per cart)")
    for col in ("what", "n", "p50", "p99", "max", "mean", "cpu p50", "cpu p99"):
        t.add_column(col, justify="right" if col != "what" else "left")
    for name, r in result["results"].items():
        t.add_row(
            name,
            *(str(r[k]) for k in ("n", "p50_ms", "p99_ms", "max_ms", "mean_ms", "cpu_p50_ms", "cpu_p99_ms")),
        )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--json", nargs="?", const="", default=None, help="write results (default bench/results/pricing.json)"
    )
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--checkouts", type=int, default=200)
    args = parser.parse_args()
    result = run(args.iterations, args.checkouts)
    console.print(table(result))
    if args.json is not None:
        out = Path(args.json) if args.json else ROOT / "bench" / "results" / "pricing.json"
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"written {out}")


if __name__ == "__main__":
    main()

"""Shipping benchmark, in-process: what quoting costs, what it adds to a checkout, and how fast the
tracking job follows parcels.

    python bench/shipping.py --db sqlite|postgres --rounds 2000 --parcels 1000 --json bench/results/shipping-sqlite.json

- quote: ``Quoter.quote`` for a 10-line cart across 3 shops whose products ship under 3 templates
  each (regions, thresholds, weight and piece), to a random province (pure computation);
- load + quote: the same with the two reads of ``logistics.quoter`` (product profiles, templates);
- checkout: ``orders.service.checkout`` of a 3-line cart from 3 shops, with templates and without
  (the difference is what shipping adds to the buy path);
- tracking: ``poll_tracking`` over ``--parcels`` shipped parcels at +8 days (every node stored,
  西北集运 legs booked, deliveries announced), in parcels per second.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from laotie import bootstrap  # noqa: E402
from laotie.addresses import service as addresses  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.core import clock  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.logistics import service as logistics  # noqa: E402
from laotie.logistics.schemas import ProductShippingIn, QuoteLine, TemplateIn  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.orders import fulfilment, lifecycle  # noqa: E402
from laotie.orders import service as orders  # noqa: E402
from laotie.orders.models import OrderEventKind, OrderStatus  # noqa: E402
from tests.factories.logistics import URUMQI_TIANSHAN, buyer_in, owner_of  # noqa: E402
from tests.factories.orders import OnSale, checkout_body, make_buyer, make_on_sale  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "laotie_bench_shipping"


def _database(kind: str) -> Database:
    if kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='laotie-shipping-')}/bench.db"
    else:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
        admin.dispose()
        url = make_url(POSTGRES_ADMIN_URL).set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    db = Database(url)
    metadata.create_all(db.engine)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
    return db


def _templates(i: int) -> list[dict[str, Any]]:
    provinces = [p.code for p in addresses.provinces()]
    return [
        {
            "name": f"按件{i}",
            "default": {"first_fee_fen": 800 + i, "extra_fee_fen": 200},
            "regions": [
                {"provinces": provinces[k : k + 3], "first_fee_fen": 1500, "extra_fee_fen": 500}
                for k in (0, 5, 10)
            ],
            "free_rules": [{"min_amount_fen": 9900}, {"provinces": provinces[20:24], "min_pieces": 3}],
            "excluded": ["710000", "810000", "820000"],
        },
        {
            "name": f"按重{i}",
            "charge_by": "weight",
            "default": {"first_units": 1000, "first_fee_fen": 1000, "extra_units": 500, "extra_fee_fen": 300},
            "regions": [{"provinces": provinces[15:18], "first_fee_fen": 2000, "extra_fee_fen": 800}],
        },
        {"name": f"偏远{i}", "default": {"first_fee_fen": 600}, "excluded": provinces[28:30]},
    ]


def _seed(db: Database) -> tuple[list[OnSale], list[OnSale]]:
    """3 shops, each with 4 products under its 3 templates (the 4th 包邮), and 3 shops without."""
    with unit_of_work(db) as session:
        shipped: list[OnSale] = []
        for i in range(3):
            first = make_on_sale(session, stock=10**6, price_fen=1990 + i)
            owner = owner_of(session, first.shop_id)
            ids = [
                logistics.create_template(session, owner, first.shop_id, TemplateIn.model_validate(t)).id
                for t in _templates(i)
            ]
            sales = [first] + [
                make_on_sale(session, stock=10**6, price_fen=2990 + k, shop_id=first.shop_id)
                for k in range(3)
            ]
            for sale, template_id in zip(sales, [*ids, None], strict=True):
                logistics.set_product_shipping(
                    session,
                    owner,
                    sale.shop_id,
                    sale.product_id,
                    ProductShippingIn(template_id=template_id, weight_g=700),
                )
            shipped += sales
        plain = [make_on_sale(session, stock=10**6, price_fen=1990) for _ in range(3)]
        session.commit()
    return shipped, plain


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
    }


def _timed(rounds: int, fn: Any) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return _stats(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--parcels", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    bootstrap.wire()  # the providers (the sandbox carrier network tracks the parcels) and handlers
    db = _database(args.db)
    shipped, plain = _seed(db)
    rng = random.Random(7)
    provinces = [p.code for p in addresses.provinces()]
    cart = [
        QuoteLine(product_id=s.product_id, quantity=rng.randint(1, 3), unit_price_fen=s.price_fen)
        for s in shipped[:10]
    ]
    by_shop: dict[int, list[QuoteLine]] = {}
    for sale, line in zip(shipped[:10], cart, strict=True):
        by_shop.setdefault(sale.shop_id, []).append(line)
    results: dict[str, Any] = {"db": args.db, "python": platform.python_version()}
    with unit_of_work(db, read_only=True) as session:
        quoter = logistics.quoter(session, [line.product_id for line in cart])
        results["quote"] = _timed(
            args.rounds, lambda: [quoter.quote(lines, rng.choice(provinces)) for lines in by_shop.values()]
        )
        results["load_and_quote"] = _timed(
            args.rounds // 4,
            lambda: [
                logistics.quoter(session, [x.product_id for x in cart]).quote(lines, rng.choice(provinces))
                for lines in by_shop.values()
            ],
        )
    with unit_of_work(db) as session:
        buyers = [make_buyer(session) for _ in range(20)]
        session.commit()
    checkout_rounds = max(args.rounds // 10, 50)
    for name, goods in (
        ("checkout_with_templates", [shipped[0], shipped[5], shipped[9]]),
        ("checkout_without", plain),
    ):
        samples = []
        for i in range(checkout_rounds):
            buyer = buyers[i % len(buyers)]
            body = checkout_body(buyer, *((g, 1) for g in goods))
            with unit_of_work(db) as session:
                start = time.perf_counter()
                orders.checkout(session, buyer.principal, body, f"bench-{name}-{i}")
                session.commit()
                samples.append(time.perf_counter() - start)
        results[name] = _stats(samples)
    # tracking: parcels to 乌鲁木齐 (each with a hub leg), shipped now, polled at +8 days
    with unit_of_work(db) as session:
        far = buyer_in(session, URUMQI_TIANSHAN)
        owner = owner_of(session, plain[0].shop_id)
        ids = []
        for i in range(args.parcels):
            placed = orders.checkout(
                session, far.principal, checkout_body(far, (plain[0], 1)), f"bench-parcel-{i}"
            )
            order_id = placed.orders[0].id
            lifecycle.move(session, order_id, OrderStatus.PAID, None, OrderEventKind.PAID, "bench")
            fulfilment.ship(session, owner, plain[0].shop_id, order_id, "中通快递", f"78{i:012d}")
            ids.append(order_id)
        session.commit()
    with clock.travel(timedelta(days=8)), unit_of_work(db) as session:
        start = time.perf_counter()
        delivered = logistics.poll_tracking(session, limit=args.parcels)
        session.commit()
        took = time.perf_counter() - start
    assert len(delivered) == args.parcels
    results["tracking"] = {
        "parcels": args.parcels,
        "seconds": round(took, 3),
        "parcels_per_s": round(args.parcels / took, 1),
    }
    db.dispose()
    table = Table(title=f"shipping ({args.db})")
    for col in ("measure", "n", "p50 ms", "p99 ms"):
        table.add_column(col)
    for key in ("quote", "load_and_quote", "checkout_with_templates", "checkout_without"):
        r = results[key]
        table.add_row(key, str(r["n"]), f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}")
    t = results["tracking"]
    table.add_row(
        "tracking poll", str(t["parcels"]), f"{t['parcels_per_s']} parcels/s", f"{t['seconds']} s total"
    )
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

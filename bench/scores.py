"""Scores benchmark: one review event applied to every score it touches, and a full rebuild.

    python bench/scores.py --db sqlite|postgres --shops 1000 --products 100000 --reviews 1000000

In process, on a fresh database (a SQLite file in a temporary directory, or the PostgreSQL database
``laotie_bench_scores``): the reviews' input rows (what ``reviews.review_published`` events carry),
delivered lines and quality returns are inserted in bulk, spread over the last 90 days; then

1. the full rebuild from those inputs (``scores.service.rebuild``: day counters summed again, every
   product, shop and promoter recomputed, consequences synced) is timed;
2. ``--events`` fresh review events are fed one by one through the outbox handler the worker runs
   (``scores.events.review_published``), each in its own transaction: the time to apply it (input
   row, day counters of product / shop / category / creator, recompute of product, shop and
   creator, history, movement, threshold and consequence checks, events for search) is measured
   before and after the commit, p50 / p99.

Prints a table and writes JSON (default bench/results/scores-<db>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from laotie.core import clock  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.events.reviews import ReviewPublished  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.scores import events as score_events  # noqa: E402
from laotie.scores import service as scores  # noqa: E402
from laotie.scores.models import FactInput, LineInput, ReviewInput  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "laotie_bench_scores"
CATEGORIES = 200
CREATORS = 5_000
CHUNK = 20_000


def fresh_database(kind: str, workdir: Path, admin_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'scores.db'}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def _stars(rng: random.Random, quality: float) -> int:
    return 5 if rng.random() < quality else rng.randint(1, 4)


def seed(db: Database, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    """Bulk inputs: reviews, delivered lines (1.2 per review) and quality returns (2 % of lines)."""
    now = clock.now()
    per_shop = args.products // args.shops
    quality = [0.55 + 0.45 * rng.random() for _ in range(args.shops)]
    started = time.perf_counter()
    line_id = 0
    with db.engine.begin() as conn:
        for start in range(0, args.reviews, CHUNK):
            reviews, lines, facts = [], [], []
            for rid in range(start + 1, min(start + CHUNK, args.reviews) + 1):
                product = rng.randrange(args.products) + 1
                shop = (product - 1) // per_shop + 1
                category = (product % CATEGORIES) + 1
                creator = rng.randrange(CREATORS) + 1 if rng.random() < 0.2 else None
                at = now - timedelta(days=rng.randrange(90), seconds=rng.randrange(86_400))
                q = quality[shop - 1]
                reviews.append(
                    {
                        "review_id": rid,
                        "order_line_id": rid,
                        "product_id": product,
                        "shop_id": shop,
                        "category_id": category,
                        "creator_id": creator,
                        "product_stars": _stars(rng, q),
                        "service_stars": _stars(rng, q),
                        "logistics_stars": _stars(rng, q),
                        "is_default": rng.random() < 0.1,
                        "day": at.date(),
                        "published_at": at,
                    }
                )
                for _ in range(2 if rng.random() < 0.2 else 1):
                    line_id += 1
                    delivered = at - timedelta(days=rng.randint(1, 10))
                    lines.append(
                        {
                            "line_id": line_id,
                            "order_id": line_id,
                            "product_id": product,
                            "shop_id": shop,
                            "category_id": category,
                            "creator_id": creator,
                            "day": delivered.date(),
                            "delivered_at": delivered,
                        }
                    )
                    if rng.random() < 0.02 * (1.6 - q):
                        facts.append(
                            {
                                "kind": "quality_return",
                                "ref": f"case:{line_id}:line:{line_id}",
                                "product_id": product,
                                "shop_id": shop,
                                "user_id": creator,
                                "value": 1,
                                "extra": 0,
                                "day": at.date(),
                                "at": at,
                            }
                        )
            conn.execute(insert(ReviewInput), reviews)
            conn.execute(insert(LineInput), lines)
            if facts:
                conn.execute(insert(FactInput), facts)
            console.print(f"  inserted {min(start + CHUNK, args.reviews):,} reviews", end="\r")
    console.print()
    return {"seconds": round(time.perf_counter() - started, 1), "lines": line_id}


def review_event(rid: int, args: argparse.Namespace, rng: random.Random) -> ReviewPublished:
    per_shop = args.products // args.shops
    product = rng.randrange(args.products) + 1
    payload = {
        "review_id": rid,
        "order_id": rid,
        "order_line_id": rid,
        "product_id": product,
        "sku_id": product,
        "shop_id": (product - 1) // per_shop + 1,
        "category_id": (product % CATEGORIES) + 1,
        "buyer_id": 1,
        "creator_id": rng.randrange(CREATORS) + 1 if rng.random() < 0.2 else None,
        "product_stars": rng.randint(1, 5),
        "service_stars": rng.randint(1, 5),
        "logistics_stars": rng.randint(1, 5),
        "is_default": False,
        "has_photos": False,
        "tags": [],
        "published_at": clock.now().isoformat(),
    }
    return ReviewPublished.from_payload(payload, datetime.now(UTC))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def apply_events(db: Database, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    handler_ms, total_ms, cpu_ms = [], [], []
    first = args.reviews + 1
    for i in range(args.warmup + args.events):
        ev = review_event(first + i, args, rng)
        with unit_of_work(db) as session:
            c0 = time.thread_time()
            t0 = time.perf_counter()
            score_events.review_published(session, ev)
            session.flush()
            t1 = time.perf_counter()
            c1 = time.thread_time()
            session.commit()
            t2 = time.perf_counter()
        if i >= args.warmup:
            handler_ms.append((t1 - t0) * 1000)
            total_ms.append((t2 - t0) * 1000)
            cpu_ms.append((c1 - c0) * 1000)
    return {
        "events": args.events,
        "apply_p50_ms": round(statistics.median(handler_ms), 2),
        "apply_p99_ms": round(percentile(handler_ms, 99), 2),
        "apply_max_ms": round(max(handler_ms), 2),
        "cpu_p50_ms": round(statistics.median(cpu_ms), 2),
        "cpu_p99_ms": round(percentile(cpu_ms, 99), 2),
        "with_commit_p50_ms": round(statistics.median(total_ms), 2),
        "with_commit_p99_ms": round(percentile(total_ms, 99), 2),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--shops", type=int, default=1_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=2_000, help="review events applied one by one")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--json", default="", help="default bench/results/scores-<db>.json")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    args.json = args.json or str(ROOT / "bench" / "results" / f"scores-{args.db}.json")
    rng = random.Random(20261207)
    workdir = Path(tempfile.mkdtemp(prefix="laotie-bench-scores-"))
    url = fresh_database(args.db, workdir, args.postgres_admin_url)
    db = Database(url)
    load_before = round(os.getloadavg()[0], 2)
    try:
        metadata.create_all(db.engine)
        console.print(f"seeding {args.reviews:,} reviews on {args.db}")
        seeded = seed(db, args, rng)
        if not db.is_sqlite:
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        console.print("full rebuild")
        t0, c0 = time.perf_counter(), time.process_time()
        rebuilt = scores.rebuild(db)
        rebuild_s, rebuild_cpu = time.perf_counter() - t0, time.process_time() - c0
        if not db.is_sqlite:
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        console.print(f"applying {args.events:,} review events")
        applied = apply_events(db, args, rng)
    finally:
        db.dispose()
    table = Table(
        title=f"Laotie scores on {args.db}: {args.shops:,} shops, {args.products:,} products, "
        f"{args.reviews:,} reviews"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("full rebuild, wall / this process's CPU (s)", f"{rebuild_s:.1f} / {rebuild_cpu:.1f}")
    table.add_row(
        "  day rows / products / shops / promoters",
        f"{rebuilt.daily_rows:,} / {rebuilt.products:,} / {rebuilt.shops:,} / {rebuilt.users:,}",
    )
    table.add_row("one review event, p50 (ms)", f"{applied['apply_p50_ms']}")
    table.add_row("one review event, p99 (ms)", f"{applied['apply_p99_ms']}")
    table.add_row("  this thread's CPU p50 / p99 (ms)", f"{applied['cpu_p50_ms']} / {applied['cpu_p99_ms']}")
    table.add_row(
        "  with commit p50 / p99 (ms)", f"{applied['with_commit_p50_ms']} / {applied['with_commit_p99_ms']}"
    )
    console.print(table)
    document = {
        "benchmark": "scores",
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "machine": {**machine(), "load_average_before": load_before},
        "config": {k: getattr(args, k) for k in ("db", "shops", "products", "reviews", "events", "warmup")},
        "seeding": seeded,
        "rebuild": {"seconds": round(rebuild_s, 1), "cpu_seconds": round(rebuild_cpu, 1), **rebuilt.__dict__},
        "apply": applied,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    console.print(f"results written to {args.json}")
    if args.db == "postgres":
        admin = create_engine(args.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()
    for child in sorted(workdir.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    workdir.rmdir()


if __name__ == "__main__":
    main()

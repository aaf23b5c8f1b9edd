"""Search benchmark: index build time, query latency and throughput in-process and over HTTP, and
NDCG@10 on a labelled query set.

    python bench/search.py --products 100000 --queries 1000 --db sqlite|postgres --json

A fresh database (a SQLite file under var/, or the PostgreSQL database ``laotie_bench_search``) gets
the schema and category tree, then a generated catalogue whose truth is known (``search_data``):
shops and listed products written straight to their tables in bulk (the rows the catalog services
write; going through them would take an hour at this size). Scores are spread over the products as
the scores domain would send them. Then:

1. the index is built by the real ``laotie search reindex`` code (segmentation, pinyin vocabulary,
   full-text rows and triggers), timed;
2. ``--queries`` searches run in-process through ``search.service.search_products`` (ranking,
   facets, corrections): a third with filters (category, price range, 包邮, in stock), a fifth sorted
   by sales or price; p50, p95 and queries per second, on one thread;
3. the same over HTTP against the real server (``laotie serve``, one process) with two clients;
4. NDCG@10 of the labelled queries (``bench/data/search_queries.json``), graded from the truth.

Results are printed as a table and written to ``bench/results/search-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from laotie import bootstrap  # noqa: E402
from laotie.accounts.models import User  # noqa: E402
from laotie.catalog import service as catalog  # noqa: E402
from laotie.catalog.models import Product, ProductStatus  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.categories.models import Category  # noqa: E402
from laotie.core import clock  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.install_secrets import random_secrets_env  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.search import service as search  # noqa: E402
from laotie.search.reindex import reindex_all  # noqa: E402
from laotie.search.schemas import Filters  # noqa: E402
from laotie.shops.models import ReviewState, Shop, ShopStatus  # noqa: E402
from search_data import Made, catalogue, grade, load_queries  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "laotie_bench_search"
PRODUCTS_PER_SHOP = 50


def fresh_url(db: str) -> str:
    if db == "sqlite":
        path = ROOT / "var" / "bench-search.db"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def seed(db: Database, made: list[Made]) -> dict[int, Made]:
    """Users, open shops and listed products, in bulk; returns product id -> what it is."""
    now = clock.now()
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
        leaf_ids = {c.name: c.id for c in session.query(Category).order_by(Category.id.desc())}
        shops = math.ceil(len(made) / PRODUCTS_PER_SHOP)
        session.execute(
            insert(User),
            [
                {
                    "phone": f"139{n:08d}",
                    "password_hash": "-",
                    "nickname": f"店主{n}",
                    "bio": "",
                    "created_at": now,
                }
                for n in range(shops)
            ],
        )
        users = [u for (u,) in session.execute(text("SELECT id FROM accounts_user ORDER BY id"))]
        any_leaf = next(iter(leaf_ids.values()))
        session.execute(
            insert(Shop),
            [
                {
                    "name": f"老铁好货{n:05d}号店",
                    "owner_id": users[n],
                    "status": ShopStatus.OPEN,
                    "review_state": ReviewState.APPROVED,
                    "review_reason": "",
                    "main_category_id": any_leaf,
                    "entity_type": "individual_business",
                    "legal_name": f"个体户{n}",
                    "licence_number": None,
                    "contact_phone": f"137{n:08d}",
                    "description": "",
                    "created_at": now,
                    "submitted_at": now,
                    # A tenth of the shops opened in the last month (新商), the rest long ago.
                    "opened_at": now - (timedelta(days=n % 28) if n % 10 == 0 else timedelta(days=400)),
                    "withdrawals_frozen_reason": "",
                }
                for n in range(shops)
            ],
        )
        shop_ids = [s for (s,) in session.execute(text("SELECT id FROM shops_shop ORDER BY id"))]
        rng = random.Random(5)
        rows = []
        for i, m in enumerate(made):
            rows.append(
                {
                    "shop_id": shop_ids[i // PRODUCTS_PER_SHOP],
                    "category_id": leaf_ids[m.truth.type],
                    "title": m.title,
                    "description": "",
                    "status": ProductStatus.LISTED,
                    "review_reason": "",
                    "attributes": [],
                    "min_price_fen": m.price_fen,
                    "min_original_price_fen": m.price_fen * 2,
                    "total_stock": 0 if rng.random() < 0.05 else rng.randint(1, 900),
                    "sales_count": m.sales,
                    "created_at": now,
                    "updated_at": now,
                    "listed_at": now - timedelta(minutes=i),
                }
            )
        for start in range(0, len(rows), 5000):
            session.execute(insert(Product), rows[start : start + 5000])
        catalog.refile_products(session)  # the ancestor copies the shelf's branches filter on
        session.commit()
        ids = [p for (p,) in session.execute(text("SELECT id FROM catalog_product ORDER BY id"))]
    return dict(zip(ids, made, strict=True))


def spread_scores(db: Database) -> float:
    """Scores as the scores domain would send them: product score, price index, DSR, sales; then rerank."""
    start = time.perf_counter()
    with unit_of_work(db) as session:
        session.execute(
            text(
                "UPDATE search_doc SET product_score = 40 + (ref_id * 37) % 61, "
                "price_index_bp = 7000 + (ref_id * 53) % 7000, overpriced = ((ref_id * 53) % 7000 > 6500), "
                "dsr_x100 = 400 + (shop_id * 13) % 100, "
                "shop_band = CASE (shop_id % 4) WHEN 0 THEN 'excellent' WHEN 1 THEN 'good' WHEN 2 THEN 'fair' ELSE 'poor' END, "
                "sales = (ref_id * 7919) % 997, orders = (ref_id * 7919) % 997 / 2, impressions = 500 + (ref_id * 31) % 5000 "
                "WHERE kind = 'product'"
            )
        )
        ids = [r for (r,) in session.execute(text("SELECT ref_id FROM search_doc WHERE kind = 'product'"))]
        from laotie.search import indexing

        indexing.rerank(session, "product", ids)
        session.commit()
    return time.perf_counter() - start


def workload(
    queries: list[dict[str, Any]], count: int, leaf_ids: list[int]
) -> list[tuple[str, Filters, str]]:
    rng = random.Random(11)
    out = []
    for i in range(count):
        q = queries[i % len(queries)]["q"]
        filters = Filters()
        if i % 3 == 0:
            low = rng.choice([0, 2000, 5000])
            filters = Filters(
                price_min_fen=low,
                price_max_fen=low + rng.choice([5000, 20000]),
                free_shipping=i % 2 == 0,
                in_stock=True,
                category_id=rng.choice(leaf_ids) if i % 9 == 0 else None,
            )
        sort = "relevance" if i % 5 else rng.choice(["sales", "price_asc", "price_desc"])
        out.append((q, filters, sort))
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(len(ordered) * q) - 1)], 3)


def _stats(ms: list[float], seconds: float, cpu_ms: list[float] | None = None) -> dict[str, float]:
    out = {
        "n": len(ms),
        "p50_ms": _pct(ms, 0.5),
        "p95_ms": _pct(ms, 0.95),
        "p99_ms": _pct(ms, 0.99),
        "qps": round(len(ms) / seconds, 1),
    }
    if cpu_ms:
        # The CPU this thread spent on each query (SQLite runs in it): what the wall-clock times
        # would be on an idle machine; the machine these ran on is shared and often saturated.
        out |= {
            "cpu_p50_ms": _pct(cpu_ms, 0.5),
            "cpu_p95_ms": _pct(cpu_ms, 0.95),
            "cpu_p99_ms": _pct(cpu_ms, 0.99),
        }
    return out


def in_process(db: Database, work: list[tuple[str, Filters, str]]) -> dict[str, Any]:
    times: list[float] = []
    cpu: list[float] = []
    plain: list[float] = []
    filtered: list[float] = []
    plain_cpu: list[float] = []
    filtered_cpu: list[float] = []
    with unit_of_work(db, read_only=True) as session:
        for q, f, s in work[:50]:  # warm-up: dictionaries, caches, the database's pages
            search.search_products(session, q, f, s, log=False)
        session.rollback()
        started = time.perf_counter()
        for q, f, s in work:
            t, c = time.perf_counter(), time.thread_time()
            search.search_products(session, q, f, s, log=False)
            elapsed, used = (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000
            times.append(elapsed)
            cpu.append(used)
            (plain if f == Filters() else filtered).append(elapsed)
            (plain_cpu if f == Filters() else filtered_cpu).append(used)
        total = time.perf_counter() - started
    return {
        "all": _stats(times, total, cpu),
        "no_filters": _stats(plain, total * len(plain) / len(times), plain_cpu),
        "with_filters": _stats(filtered, total * len(filtered) / len(times), filtered_cpu),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def over_http(url: str, work: list[tuple[str, Filters, str]], clients: int = 2) -> dict[str, Any]:
    port = _free_port()
    env = {
        **os.environ,
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_EMBEDDED_WORKER": "false",
        **random_secrets_env(),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "laotie.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)

        def fetch(q: str, f: Filters, s: str) -> None:
            params = {"q": q, "sort": s, "limit": 20}
            params.update({k: v for k, v in f.model_dump(exclude_defaults=True).items()})
            params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
            urllib.request.urlopen(
                f"{base}/api/v1/search/products?{urllib.parse.urlencode(params)}", timeout=30
            ).read()

        for q, f, s in work[:30]:
            fetch(q, f, s)
        times: list[float] = []
        lock = threading.Lock()
        chunks = [work[i::clients] for i in range(clients)]

        def run(chunk: list[tuple[str, Filters, str]]) -> None:
            for q, f, s in chunk:
                t = time.perf_counter()
                fetch(q, f, s)
                with lock:
                    times.append((time.perf_counter() - t) * 1000)

        started = time.perf_counter()
        threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return {**_stats(times, time.perf_counter() - started), "clients": clients}
    finally:
        server.terminate()
        server.wait(timeout=20)


def ideal_grades(kinds: dict[Any, int], intent: dict[str, Any]) -> list[int]:
    """The best ten grades the catalogue holds for this intent (from counts of each kind of product)."""
    counts: dict[int, int] = {}
    for truth, n in kinds.items():
        g = grade(truth, intent)
        counts[g] = counts.get(g, 0) + n
    out: list[int] = []
    for g in (3, 2, 1, 0):
        out += [g] * min(counts.get(g, 0), 10 - len(out))
    return out


def ndcg(db: Database, truth: dict[int, Made], queries: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: dict[Any, int] = {}
    for made in truth.values():
        kinds[made.truth] = kinds.get(made.truth, 0) + 1

    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))

    by_form: dict[str, list[float]] = {}
    misses = []
    with unit_of_work(db, read_only=True) as session:
        for item in queries:
            intent = item["intent"]
            got = [h.id for h in search.search_products(session, item["q"], limit=10, log=False).items]
            grades = [grade(truth[pid].truth, intent) for pid in got]
            all_grades = ideal_grades(kinds, intent)
            ideal = dcg(all_grades)
            value = dcg(grades) / ideal if ideal else 0.0
            by_form.setdefault(item["form"], []).append(value)
            if value < 0.5:
                misses.append({"q": item["q"], "form": item["form"], "ndcg": round(value, 3)})
    everything = [v for vs in by_form.values() for v in vs]
    return {
        "queries": len(everything),
        "ndcg_at_10": round(statistics.mean(everything), 4),
        "by_form": {k: round(statistics.mean(v), 4) for k, v in sorted(by_form.items())},
        "worst": sorted(misses, key=lambda m: m["ndcg"])[:15],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--http-queries", type=int, default=None, help="default: --queries")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        help="write results (default bench/results/search-<db>.json)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a previous run built (same --products)"
    )
    args = parser.parse_args()
    bootstrap.wire()  # every model and handler (the seed runs the outbox)

    made = catalogue(args.products)
    previous: dict[str, Any] = {}
    out_path = ROOT / "bench" / "results" / f"search-{args.db}.json"
    if args.reuse:
        url = (
            f"sqlite:///{ROOT / 'var' / 'bench-search.db'}"
            if args.db == "sqlite"
            else make_url(POSTGRES_ADMIN_URL)
            .set(database=BENCH_DATABASE)
            .render_as_string(hide_password=False)
        )
        db = Database(url)
        with unit_of_work(db, read_only=True) as session:
            ids = [p for (p,) in session.execute(text("SELECT id FROM catalog_product ORDER BY id"))]
        truth = dict(zip(ids, made, strict=True))
        previous = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
        seeded, build_seconds, build_cpu, scores_seconds = 0.0, 0.0, 0.0, 0.0
        built = None
    else:
        url = fresh_url(args.db)
        db = Database(url)
        metadata.create_all(db.engine)
        console.print(f"[bold]search benchmark[/bold] {args.products:,} products on {args.db}")
        t = time.perf_counter()
        truth = seed(db, made)
        seeded = time.perf_counter() - t
        console.print(f"seeded in {seeded:.1f} s; building the index …")
        t, c = time.perf_counter(), time.process_time()
        built = reindex_all(db)
        build_seconds, build_cpu = time.perf_counter() - t, time.process_time() - c
        scores_seconds = spread_scores(db)
    with unit_of_work(db, read_only=True) as session:
        leaf_ids = sorted({p.category_id for p in session.query(Product.category_id).distinct()})
        doc_count = session.execute(text("SELECT count(*) FROM search_doc")).scalar()
    queries = load_queries()
    work = workload(queries, args.queries, leaf_ids)
    local = in_process(db, work)
    quality = ndcg(db, truth, queries)
    http = None if args.no_http else over_http(url, work[: args.http_queries or args.queries])
    db.dispose()
    result = {
        "benchmark": "search",
        "db": args.db,
        "products": args.products,
        "queries": args.queries,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
        },
        "seed_seconds": round(seeded, 1) if built else previous.get("seed_seconds"),
        "index": {
            "build_seconds": round(build_seconds, 1),
            "build_cpu_seconds": round(build_cpu, 1),
            "docs": doc_count,
            "terms": built.terms,
            "products_per_s": round(args.products / build_seconds, 1),
            "scores_and_rerank_seconds": round(scores_seconds, 1),
        }
        if built
        else previous.get("index"),
        "in_process": local,
        "http": http,
        "relevance": quality,
    }
    table = Table(title=f"search, {args.products:,} products, {args.db}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    if result["index"]:
        index = result["index"]
        table.add_row(
            "index build",
            f"{index['build_seconds']} s wall, {index['build_cpu_seconds']} s CPU ({index['products_per_s']:.0f}/s)",
        )
    for name in ("all", "no_filters", "with_filters"):
        s = local[name]
        table.add_row(
            f"in-process {name}",
            f"p50 {s['p50_ms']} · p95 {s['p95_ms']} ms (CPU p95 {s['cpu_p95_ms']} ms) · {s['qps']} q/s",
        )
    if http:
        table.add_row(
            "HTTP (2 clients)", f"p50 {http['p50_ms']} ms · p95 {http['p95_ms']} ms · {http['qps']} q/s"
        )
    table.add_row("NDCG@10", f"{quality['ndcg_at_10']} over {quality['queries']} queries")
    for form, value in quality["by_form"].items():
        table.add_row(f"  {form}", str(value))
    console.print(table)
    if args.json is not None:
        out_path = Path(args.json) if args.json else out_path
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"written to {out_path}")


if __name__ == "__main__":
    main()

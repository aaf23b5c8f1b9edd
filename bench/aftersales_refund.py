"""After-sales refund benchmark, in-process on SQLite: the reversal maths alone, and a whole refund
(open a refund-only case on a completed order, approve it: order guard, pro-rata ledger reversal,
sandbox PSP refund, trail) through the real services.

    python bench/aftersales_refund.py --orders 60 --json bench/results/aftersales-refund-sqlite.json
"""

from __future__ import annotations

import argparse
import json
import platform
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

from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from laotie.aftersales import service as aftersales  # noqa: E402
from laotie.aftersales.models import CaseKind, CaseReason  # noqa: E402
from laotie.app import create_app  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.core import clock  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.ledger import service as ledger  # noqa: E402
from laotie.ledger.reversal import reversal_postings  # noqa: E402
from laotie.ledger.schemas import AccountKind as K  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.settings import Settings  # noqa: E402
from tests.factories.aftersales import completed, open_case, paid_order, photo  # noqa: E402

console = Console()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def bench_maths(rounds: int) -> dict[str, float]:
    net = {
        (K.PLATFORM_CLEARING, None): 1_234_567,
        (K.SHOP_PENDING, 1): -1_100_000,
        (K.SHOP_AVAILABLE, 1): -50_000,
        (K.PLATFORM_FEE_REVENUE, None): -55_555,
        (K.GROWTH_FUND, None): -6_172,
        (K.COMMISSION_PAYABLE, 9): -60_000,
        (K.SUBSIDY_EXPENSE, None): 37_160,
    }
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        reversal_postings(net, 1 + i % 1_234_000)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def bench_refunds(orders: int) -> dict[str, Any]:
    import pytest  # the factories' assertions read better with pytest's rewriting, not needed here

    del pytest
    home = Path(tempfile.mkdtemp(prefix="laotie-aftersales-bench-"))
    url = f"sqlite:///{home / 'laotie.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
    app = create_app(Settings(database_url=url, media_dir=home / "media", embedded_worker=False), db=db)
    samples: list[float] = []
    with TestClient(app) as client, unit_of_work(db) as session:
        ready = []
        for _ in range(orders):
            bought = paid_order(client, app, db, session, price_fen=12_345, quantity=3)
            completed(session, bought)
            ready.append(bought)
        with clock.travel(timedelta(days=4)):
            for bought in ready:
                evidence = photo(session, app.state.storage, bought.buyer)
                start = time.perf_counter()
                case = open_case(
                    session,
                    bought,
                    CaseKind.REFUND_ONLY,
                    CaseReason.QUALITY,
                    amount_fen=10_000,
                    evidence_ids=[evidence],
                )
                aftersales.approve(session, bought.owner, case.id)
                session.commit()
                samples.append(time.perf_counter() - start)
        books = ledger.check(session)
    db.dispose()
    return {**percentiles(samples), "ledger_ok": books.ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    maths = bench_maths(args.rounds)
    refunds = bench_refunds(args.orders)
    table = Table(title="after-sales refunds (in-process, SQLite)")
    for col in ("what", "n", "p50 ms", "p99 ms", "mean ms"):
        table.add_column(col)
    table.add_row(
        "reversal_postings (7 legs)",
        str(maths["n"]),
        str(maths["p50_ms"]),
        str(maths["p99_ms"]),
        str(maths["mean_ms"]),
    )
    table.add_row(
        "open case + approve + refund",
        str(refunds["n"]),
        str(refunds["p50_ms"]),
        str(refunds["p99_ms"]),
        str(refunds["mean_ms"]),
    )
    console.print(table)
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "maths": maths,
        "refunds": refunds,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

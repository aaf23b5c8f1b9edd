"""Counterfeit bulk refund benchmark: a shop with N paid orders of one fake product (default 20,000),
on SQLite and PostgreSQL; the time to refund them all through the real procedure (each order: an
after-sales case, the order's guard, the sandbox PSP refund and its ledger posting, 假一赔三 from the
shop's balance and its transfer to the buyer, the order closed and its stock back), orders per
second, and ``laotie ledger check`` afterwards.

The fixtures are made fast: one order is placed and paid through the real services and the sandbox
PSP, then cloned N times with bulk Core inserts of exactly the rows that path wrote (checkout, order,
line, payment intent, sandbox charge, the capture's ledger transaction and entries, the accounts'
cached balances), so the books balance before the run starts.

    python bench/counterfeit_refund.py --orders 20000 --json bench/results/counterfeit-refund.json
    python bench/counterfeit_refund.py --backend postgres --orders 20000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import Table as SaTable  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from laotie.app import create_app  # noqa: E402
from laotie.categories import service as categories  # noqa: E402
from laotie.core.db import Database  # noqa: E402
from laotie.core.uow import unit_of_work  # noqa: E402
from laotie.governance import counterfeit  # noqa: E402
from laotie.governance.counterfeit_refund import drive  # noqa: E402
from laotie.migrations.registry import metadata  # noqa: E402
from laotie.settings import Settings  # noqa: E402
from tests.factories.aftersales import paid_order  # noqa: E402
from tests.factories.catalog import reviewer_principal  # noqa: E402

console = Console()
PG_ADMIN = os.environ.get("LAOTIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = 2000


def fresh_database(backend: str, home: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{home / 'laotie.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "fakes_bench_counterfeit" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "fakes_bench_counterfeit"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database="fakes_bench_counterfeit").render_as_string(hide_password=False)


def t(name: str) -> SaTable:
    return metadata.tables[name]


def one(session: Session, name: str, row_id: int | str, key: str = "id") -> dict[str, Any]:
    table = t(name)
    return dict(session.execute(select(table).where(table.c[key] == row_id)).mappings().one())


def next_id(session: Session, name: str) -> int:
    return int(session.scalar(select(func.coalesce(func.max(t(name).c.id), 0))) or 0) + 1


def clone_orders(session: Session, template_order_id: int, orders: int, buyers: int) -> None:
    """N copies of the template's paid order, spread over ``buyers`` cloned buyers."""
    order = one(session, "orders_order", template_order_id)
    checkout = one(session, "orders_checkout", order["checkout_id"])
    line = one(session, "orders_line", template_order_id, key="order_id")
    intent = one(session, "payments_intent", checkout["payment_intent_id"])
    charge = one(session, "payments_sandbox_charge", intent["provider_ref"], key="provider_ref")
    user = one(session, "accounts_user", order["buyer_id"])
    capture = one(session, "ledger_transaction", f"payments:capture:{intent['id']}", key="idempotency_key")
    entries = [
        dict(r)
        for r in session.execute(
            select(t("ledger_entry")).where(t("ledger_entry").c.transaction_id == capture["id"])
        ).mappings()
    ]
    ids = {
        n: next_id(session, n)
        for n in (
            "accounts_user",
            "orders_checkout",
            "orders_order",
            "orders_line",
            "payments_intent",
            "payments_sandbox_charge",
            "ledger_transaction",
            "ledger_entry",
        )
    }
    buyer_ids = [ids["accounts_user"] + i for i in range(buyers)]
    for start in range(0, buyers, CHUNK):
        session.execute(
            insert(t("accounts_user")),
            [
                {**user, "id": b, "phone": f"139{b:08d}", "email": None, "nickname": f"老铁{b}"}
                for b in buyer_ids[start : start + CHUNK]
            ],
        )
    for start in range(0, orders, CHUNK):
        rows: dict[str, list[dict[str, Any]]] = {n: [] for n in ids if n != "accounts_user"}
        for i in range(start, min(start + CHUNK, orders)):
            buyer = buyer_ids[i % buyers]
            co, od, li, pi, ch = (
                ids["orders_checkout"] + i,
                ids["orders_order"] + i,
                ids["orders_line"] + i,
                ids["payments_intent"] + i,
                ids["payments_sandbox_charge"] + i,
            )
            tx = ids["ledger_transaction"] + i
            ref = f"pi_bench_{pi:012d}"
            rows["orders_checkout"].append({**checkout, "id": co, "buyer_id": buyer, "payment_intent_id": pi})
            rows["orders_order"].append({**order, "id": od, "checkout_id": co, "buyer_id": buyer})
            rows["orders_line"].append({**line, "id": li, "order_id": od})
            rows["payments_intent"].append(
                {
                    **intent,
                    "id": pi,
                    "buyer_id": buyer,
                    "reference_id": str(co),
                    "idempotency_key": f"bench-{pi}",
                    "provider_ref": ref,
                    "client_secret": f"bench-{pi}",
                    "next_action_url": "",
                }
            )
            rows["payments_sandbox_charge"].append(
                {
                    **charge,
                    "id": ch,
                    "provider_ref": ref,
                    "client_secret": f"bench-{ch}",
                    "idempotency_key": f"laotie-intent-{pi}",
                    "meta": {"intent_id": str(pi), "reference": f"checkout:{co}"},
                }
            )
            rows["ledger_transaction"].append(
                {**capture, "id": tx, "reference_id": str(co), "idempotency_key": f"payments:capture:{pi}"}
            )
            for k, e in enumerate(entries):
                rows["ledger_entry"].append(
                    {**e, "id": ids["ledger_entry"] + i * len(entries) + k, "transaction_id": tx}
                )
        for name, batch in rows.items():
            session.execute(insert(t(name)), batch)
    for e in entries:  # the cached balances follow the entries (the ledger check compares them)
        session.execute(
            update(t("ledger_account"))
            .where(t("ledger_account").c.id == e["account_id"])
            .values(balance_fen=t("ledger_account").c.balance_fen + e["amount_fen"] * orders)
        )
    if session.get_bind().dialect.name == "postgresql":
        for name in ids:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))"
                )
            )


def ledger_check(url: str) -> tuple[bool, float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "laotie.cli", "ledger", "check", "--database-url", url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return done.returncode == 0, time.perf_counter() - start, (done.stdout + done.stderr).strip()[-400:]


def bench(backend: str, orders: int, buyers: int, batch: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="laotie-counterfeit-bench-"))
    url = fresh_database(backend, home)
    db = Database(url)
    metadata.create_all(db.engine)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
    app = create_app(Settings(database_url=url, media_dir=home / "media", embedded_worker=False), db=db)
    with TestClient(app) as client, unit_of_work(db) as session:
        template = paid_order(client, app, db, session, price_fen=12_800, quantity=1)
        staff = reviewer_principal(session)
        session.commit()
        started = time.perf_counter()
        clone_orders(session, template.order_id, orders - 1, buyers)
        session.commit()
        fixtures_s = time.perf_counter() - started
        fixtures_ok, _, _ = ledger_check(url) if orders <= 2000 else (True, 0.0, "")
        started = time.perf_counter()
        run = counterfeit.start(
            session,
            staff,
            shop_id=template.sale.shop_id,
            product_ids=[template.sale.product_id],
            reason="基准测试：鉴定为假冒",
        )
        session.commit()
        start_s = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    drive(db, run.id, batch=batch)
    refund_s, refund_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    with unit_of_work(db, read_only=True) as session:
        report = counterfeit.get_run(session, run.id)
    db.dispose()
    books_ok, check_s, check_out = ledger_check(url)
    return {
        "backend": backend,
        "orders": orders,
        "buyers": report.buyers,
        "batch": batch,
        "fixtures_s": round(fixtures_s, 2),
        "fixtures_books_ok": fixtures_ok,
        "start_s": round(start_s, 3),
        "refund_s": round(refund_s, 2),
        "orders_per_s": round(report.refunded_orders / refund_s, 1),
        "refund_cpu_s": round(refund_cpu_s, 2),
        "orders_per_cpu_s": round(report.refunded_orders / refund_cpu_s, 1),
        "refunded_orders": report.refunded_orders,
        "failed_orders": report.failed_orders,
        "refunded_fen": report.refunded_fen,
        "compensation_fen": report.compensation_fen,
        "compensation_owed_fen": report.compensation_owed_fen,
        "ledger_check_ok": books_ok,
        "ledger_check_s": round(check_s, 1),
        "ledger_check_tail": check_out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--buyers", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    load_before = os.getloadavg()
    results = [bench(b, args.orders, min(args.buyers, args.orders), args.batch) for b in backends]
    table = Table(title=f"counterfeit bulk refund, {args.orders:,} paid orders, batches of {args.batch}")
    for col in (
        "backend",
        "fixtures s",
        "refund s",
        "orders/s",
        "per CPU-s",
        "refunded",
        "failed",
        "ledger check",
    ):
        table.add_column(col)
    for r in results:
        table.add_row(
            r["backend"],
            str(r["fixtures_s"]),
            str(r["refund_s"]),
            str(r["orders_per_s"]),
            str(r["orders_per_cpu_s"]),
            f"{r['refunded_orders']:,}",
            str(r["failed_orders"]),
            f"{'✓' if r['ledger_check_ok'] else '✗'} ({r['ledger_check_s']} s)",
        )
    console.print(table)
    out = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

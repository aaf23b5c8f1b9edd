"""The live flash sale: B buyers tap "buy" on one SKU with stock S at the same moment, then pay.

    python bench/flash_sale.py --db sqlite|postgres --buyers 5000 --stock 1000 --json [out.json]
        [--workers N] [--database NAME] [--profile stacks.txt]

1. A fresh database: a SQLite file in a temporary directory, or the PostgreSQL database
   ``--database`` (default ``laotie_bench_flash``; dropped and created through postgres@127.0.0.1),
   migrated.
2. Seeded through the real services (``flash_seed.py``): an open shop, one listed SKU with stock S
   at ¥9.90, B buyers each with an access token and an address.
3. ``laotie serve`` in a subprocess on a free 127.0.0.1 port: one Uvicorn worker (``--workers N``:
   N, PostgreSQL only), each with the embedded outbox worker and the sandbox PSP's webhook sender,
   exactly as a laptop install runs. The bench waits until the seeding's events are delivered.
4. ``noop``: B one-shot ``GET /api/v1/health`` requests from ``wrk``, one connection each, all at
   once: the server's ceiling under this load shape (``noop_rps``).
5. ``rush``: B one-shot ``POST /api/v1/orders/buy-now`` requests, each with its buyer's token, its
   own Idempotency-Key and body, the same way. ``orders_per_s`` counts every answer (sold-out 409s
   included) over the time from the first request sent to the last answer read.
   ``rush_server_cpu_ms_per_answer`` is the CPU time of the server and all its worker processes
   during the rush, per answer; ``--profile`` samples every worker process with py-spy.
6. ``pay``: each buyer who got an order pays it (``POST /api/v1/checkouts/{id}/pay``, then confirm
   at the sandbox cashier with ``tok_ok``, ``--pay-concurrency`` buyers at a time); the bench waits
   until the signed webhooks have marked every order paid. ``paid_after_rush_s``: from the rush's
   last answer to the last order's ``paid_at``; ``completed_orders_per_s``: orders paid over the time
   from the rush's first request to the last ``paid_at`` (``--pay-profile`` samples the server meanwhile).
7. Correctness from the database: ``oversold`` (units sold beyond S), ``duplicates`` (a buyer with
   more than one order, or an order without exactly one idempotency record), stock left.

The server is stopped at the end, and the PostgreSQL database dropped (``--keep`` keeps both files
and database for a look).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from flash_load import Prepared, burst, pay_all, require_wrk  # noqa: E402
from flash_seed import World, migrate, seed  # noqa: E402
from laotie.core.install_secrets import random_secrets_env  # noqa: E402
from laotie.orders.models import Order  # noqa: E402  (its typed paid_at reads SQLite's text too)

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PAID_WAIT_SECONDS = 600
DEFAULT_DATABASE = "laotie_bench_flash"
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    wrk = subprocess.run([require_wrk(), "-v"], capture_output=True, text=True).stdout.splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk[0].strip() if wrk else "wrk",
    }


def fresh_database(kind: str, workdir: Path, database: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'flash.db'}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def drop_database(kind: str, database: str) -> None:
    if kind == "postgres":
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workdir: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    """``laotie serve`` from this checkout with ``workers`` API processes (embedded workers)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(workdir / "media"),
        **random_secrets_env(),  # a server starts only with safe secrets (issue 9)
    }
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "laotie.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)


def wait_healthy(base_url: str, server: subprocess.Popen[bytes], bound_s: float = 60) -> None:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /api/v1/health in time")


def wait_outbox_idle(url: str, bound_s: float = 120) -> float:
    """Wait until the seeding's events are delivered: their handlers (the search index's first
    segmenter, say) would otherwise run during the rush and be counted as its cost."""
    engine = create_engine(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < bound_s:
            with engine.connect() as conn:
                due = conn.execute(
                    text(
                        "SELECT count(*) FROM core_outbox_event"
                        " WHERE delivered_at IS NULL AND dead_at IS NULL"
                    )
                ).scalar_one()
            if not due:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return time.monotonic() - started


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def buy_requests(world: World) -> list[Prepared]:
    return [
        Prepared(
            "POST",
            "/api/v1/orders/buy-now",
            b.token,
            f"flash-{b.user_id}",
            json.dumps(
                {
                    "sku_id": world.sku_id,
                    "quantity": 1,
                    "expected_unit_price_fen": world.price_fen,
                    "address_id": b.address_id,
                    "attribution": {"channel": "live", "live_session_id": 1},
                },
                separators=(",", ":"),
            ),
        )
        for b in world.buyers
    ]


def count_paid(url: str, shop_id: int) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(CASE WHEN status = 'paid' THEN 1 ELSE 0 END), 0)"
                    " FROM orders_order WHERE shop_id = :shop"
                ),
                {"shop": shop_id},
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def checkouts_to_pay(url: str, world: World) -> list[tuple[str, int]]:
    tokens = {b.user_id: b.token for b in world.buyers}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, buyer_id FROM orders_checkout ORDER BY id")).all()
    finally:
        engine.dispose()
    return [(tokens[buyer_id], checkout_id) for checkout_id, buyer_id in rows]


def audit(url: str, world: World) -> dict[str, int]:
    """What the database says: units sold and left, oversold units, duplicate orders."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sold = conn.execute(
                text(
                    "SELECT coalesce(sum(l.quantity), 0) FROM orders_line l"
                    " JOIN orders_order o ON o.id = l.order_id"
                    " WHERE l.sku_id = :sku AND o.status <> 'cancelled'"
                ),
                {"sku": world.sku_id},
            ).scalar_one()
            left = conn.execute(
                text("SELECT stock FROM catalog_sku WHERE id = :sku"), {"sku": world.sku_id}
            ).scalar_one()
            buyers_twice = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT buyer_id FROM orders_checkout"
                    " GROUP BY buyer_id HAVING count(*) > 1) AS t"
                )
            ).scalar_one()
            # A placement batch stamps its orders with one time: distinct times = batches that placed.
            batches = conn.execute(
                text("SELECT count(DISTINCT created_at) FROM orders_checkout")
            ).scalar_one()
            checkouts = {int(i) for i in conn.execute(text("SELECT id FROM orders_checkout")).scalars().all()}
            records = conn.execute(
                text("SELECT response FROM core_idempotency WHERE scope LIKE 'orders.place:%'")
            ).scalars()
            remembered = [int((json.loads(r) if isinstance(r, str) else r)["checkout_id"]) for r in records]
    finally:
        engine.dispose()
    # Every checkout is remembered under exactly one key, and every remembered answer exists.
    unmatched = len(checkouts.symmetric_difference(remembered)) + (len(remembered) - len(set(remembered)))
    return {
        "sold": int(sold),
        "stock_left": int(left),
        "oversold": max(0, int(sold) - world.stock),
        "stock_mismatch": int(world.stock - int(sold) != int(left)),
        "duplicates": int(buyers_twice) + unmatched,
        "batches": int(batches),
        "ledger_exact": ledger_exact(url),
    }


def ledger_exact(url: str) -> int:
    """1 when ``laotie ledger check`` (every account sums to zero, every domain's postings match)
    passes on the benchmark's database after the pay phase, else 0."""
    command = [sys.executable, "-m", "laotie.cli", "ledger", "check", "--database-url", url]
    env = {**os.environ, **random_secrets_env()}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return int(done.returncode == 0)


def wait_paid(url: str, shop_id: int, expected: int) -> tuple[int, float]:
    started = time.monotonic()
    paid = 0
    while time.monotonic() - started < PAID_WAIT_SECONDS:
        _, paid = count_paid(url, shop_id)
        if paid >= expected:
            break
        time.sleep(0.5)
    return paid, time.monotonic() - started


def _process_tree(pid: int) -> list[int]:
    """The server and its descendants (Uvicorn's worker processes when ``--workers`` > 1)."""
    tree, i = [pid], 0
    while i < len(tree):
        try:
            children = Path(f"/proc/{tree[i]}/task/{tree[i]}/children").read_text().split()
        except OSError:
            children = []
        tree += [int(c) for c in children]
        i += 1
    return tree


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the server has used (all threads of all its processes), from /proc."""
    total = 0
    for member in _process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(kind: str, database: str) -> float:
    """CPU time of the PostgreSQL backends serving ``database`` (their process titles name it), so a
    figure can say how much of each answer the database itself costs on this machine's cores."""
    if kind != "postgres":
        return 0.0
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres:") or f" {database} " not in title:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds() -> float:
    """CPU time of this process's finished children: the wrk load generators, once waited for."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def start_profiler(out: Path | None, pid: int, gil: bool = True) -> subprocess.Popen[bytes] | None:
    """py-spy (from PyPI) sampling the server during the rush, as collapsed stacks: only the thread
    holding the GIL, since in one Python process that is the resource every request competes for."""
    if out is None:
        return None
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "-p", str(pid), "-o", str(out), "-f", "raw", "-r", "250", "--threads"]
    command.append("--subprocesses")  # every Uvicorn worker when there are several
    # With ``gil`` False every thread is sampled, waiting ones too (lock waits, the sender's calls).
    command += ["--gil"] if gil else ["--idle"]
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches before the first buyer taps
    return profiler


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=60)


def paid_times(url: str, shop_id: int) -> tuple[float, float]:
    """(first, last) paid_at of the shop's orders, as Unix times (0 when none is paid)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            first, last = conn.execute(
                select(func.min(Order.paid_at), func.max(Order.paid_at)).where(Order.shop_id == shop_id)
            ).one()
    finally:
        engine.dispose()
    return (first.timestamp() if first else 0.0, last.timestamp() if last else 0.0)


def run(
    kind: str,
    buyers: int,
    stock: int,
    keep: bool,
    profile: Path | None = None,
    workers: int = 1,
    database: str = DEFAULT_DATABASE,
    pay_profile: Path | None = None,
    pay_concurrency: int = 32,
) -> dict[str, Any]:
    info = machine()
    workdir = Path(tempfile.mkdtemp(prefix="laotie-flash-"))
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    url = fresh_database(kind, workdir, database)
    with console.status("migrating and seeding through the services…"):
        migrate(url)
        world = seed(url, buyers, stock)
    timings["seed_s"] = round(time.monotonic() - t0, 1)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    t1 = time.monotonic()
    server = start_server(url, port, workdir, workers)
    try:
        wait_healthy(base_url, server)
        timings["server_start_s"] = round(time.monotonic() - t1, 1)
        timings["outbox_idle_s"] = round(wait_outbox_idle(url), 1)
        info["server_pid"] = server.pid
        cpu0 = cpu_seconds(server.pid)
        noop = burst(base_url, [Prepared("GET", "/api/v1/health")] * buyers, workdir, "noop")
        cpu1 = cpu_seconds(server.pid)
        console.print(f"noop: {noop.answered} answers in {noop.seconds:.2f} s")
        profiler = start_profiler(profile, server.pid)
        cpu2, db2, wrk2 = cpu_seconds(server.pid), database_cpu_seconds(kind, database), client_cpu_seconds()
        rush = burst(base_url, buy_requests(world), workdir, "rush")
        cpu3, db3, wrk3 = cpu_seconds(server.pid), database_cpu_seconds(kind, database), client_cpu_seconds()
        stop_profiler(profiler)
        console.print(f"rush: {rush.answered} answers in {rush.seconds:.2f} s")
        created, _ = count_paid(url, world.shop_id)
        # wrk's times are on the monotonic clock, paid_at on the wall clock: one offset joins them.
        wall_offset = time.time() - time.monotonic()
        to_pay = checkouts_to_pay(url, world)
        pay_profiler = start_profiler(pay_profile, server.pid, gil=True)
        cpu4 = cpu_seconds(server.pid)
        with console.status(f"paying {created} orders through the sandbox…"):
            pay_started = time.time()
            payments = pay_all(base_url, to_pay, pay_concurrency)
            pay_ended = time.time()
            paid, waited = wait_paid(url, world.shop_id, created)
        cpu5 = cpu_seconds(server.pid)
        stop_profiler(pay_profiler)
        _, last_paid = paid_times(url, world.shop_id)
        rush_start, rush_end = rush.started_s + wall_offset, rush.ended_s + wall_offset
        paid_after_rush = max(0.0, last_paid - rush_end) if last_paid else float("nan")
        sale_seconds = last_paid - rush_start if last_paid else 0.0
        timings.update(
            noop_s=round(noop.seconds, 3),
            rush_s=round(rush.seconds, 3),
            pay_requests_s=round(payments.seconds, 1),
            paid_wait_s=round(waited, 1),
            paid_after_rush_s=round(paid_after_rush, 2),
            # paid_after_rush_s in three: until the first buyer pays (the bench reads the checkouts),
            # the buyers' requests, and from the last confirmation to the last order paid (webhooks).
            pay_started_after_rush_s=round(pay_started - rush_end, 2),
            paid_after_last_confirm_s=round(last_paid - pay_ended, 2) if last_paid else float("nan"),
        )
        checks = audit(url, world)
    finally:
        stop_server(server)
        if not keep:
            drop_database(kind, database)
    timings["total_s"] = round(time.monotonic() - t0, 1)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    sold_out = rush.codes.get("OUT_OF_STOCK", 0)
    # Expected answers: 201 placed, 409 OUT_OF_STOCK. A connection dropped before its answer makes
    # wrk send a stand-in health check (answered 200): that buyer got no answer (counted as
    # unanswered), and those 200s are not placements. Anything else is unexpected.
    expected = {201: rush.statuses.get(201, 0), 409: sold_out, 200: rush.extra}
    unexpected = {str(s): n - expected.get(s, 0) for s, n in rush.statuses.items() if n > expected.get(s, 0)}
    errors = (
        sum(unexpected.values())
        + (rush.requests - rush.answered_once)
        + sum(payments.failures.values())
        + (noop.requests - noop.answered_once)
    )
    result: dict[str, Any] = {
        "benchmark": "flash_sale",
        "database": kind,
        "database_name": database if kind == "postgres" else None,
        "stock": stock,
        "buyers": buyers,
        "orders_created": created,
        "orders_paid": paid,
        "oversold": checks["oversold"],
        "duplicates": checks["duplicates"],
        "ledger_exact": checks["ledger_exact"],
        "stock_left": checks["stock_left"],
        "stock_mismatch": checks["stock_mismatch"],
        "sold_out_answers": sold_out,
        "placing_batches": checks["batches"],
        "orders_per_s": round(rush.per_second, 1),
        # The pay phase (issue 15 item 1): from the end of the rush to the last order's paid_at, and
        # orders paid per second from the first buyer's tap to the last order's paid_at.
        "paid_after_rush_s": round(paid_after_rush, 2),
        "completed_orders_per_s": round(paid / sale_seconds, 1) if sale_seconds > 0 else 0.0,
        "pay_requests_per_s": round(2 * payments.confirmed / payments.seconds, 1)
        if payments.seconds
        else 0.0,
        "pay_server_cpu_ms_per_order": round(1000 * (cpu5 - cpu4) / max(1, paid), 3),
        # The load generator's own CPU while paying (this process): on two shared cores it is CPU
        # the server does not get.
        "pay_client_cpu_ms_per_order": round(1000 * payments.client_cpu_s / max(1, paid), 3),
        "p50_ms": round(rush.p50_ms, 1),
        "p90_ms": round(rush.p90_ms, 1),
        "p99_ms": round(rush.p99_ms, 1),
        "max_ms": round(rush.max_ms, 1),
        # Server CPU per answer (all threads, ms): steadier than rates on a shared machine.
        "rush_server_cpu_ms_per_answer": round(1000 * (cpu3 - cpu2) / max(1, rush.answered), 3),
        "noop_server_cpu_ms_per_answer": round(1000 * (cpu1 - cpu0) / max(1, noop.answered), 3),
        # Where else each answer's CPU goes on this machine's shared cores: the PostgreSQL backends
        # (0 on SQLite, which runs inside the server) and the load generator. With the server's own
        # share they bound what more worker processes can gain on a machine of this many cores.
        "rush_db_cpu_ms_per_answer": round(1000 * (db3 - db2) / max(1, rush.answered), 3),
        "rush_client_cpu_ms_per_answer": round(1000 * (wrk3 - wrk2) / max(1, rush.answered), 3),
        "cpu_count": os.cpu_count(),
        "noop_rps": round(noop.per_second, 1),
        "noop_p50_ms": round(noop.p50_ms, 1),
        "noop_p99_ms": round(noop.p99_ms, 1),
        "ratio": round(rush.per_second / noop.per_second, 3) if noop.per_second else 0.0,
        "errors": errors,
        "error_detail": {
            "rush_unexpected_statuses": unexpected,
            "rush_codes": dict(rush.codes),
            "rush_unanswered": rush.requests - rush.answered_once,
            "rush_resent_after_dropped_connection": rush.extra,
            "rush_socket_errors": rush.socket_errors,
            "noop_unanswered": noop.requests - noop.answered_once,
            "payment_failures": dict(payments.failures),
        },
        "rush_statuses": {str(s): n for s, n in sorted(rush.statuses.items())},
        "payments_started": payments.started,
        "payments_confirmed": payments.confirmed,
        "timings": timings,
        "load_generator": (
            "wrk (C, one thread): each buyer one connection and exactly one request; "
            f"all connect at once; payments by an httpx asyncio client, {pay_concurrency} buyers at a time"
        ),
        "workers": workers,
        "server": f"laotie serve --workers {workers} (uvloop, httptools), each worker with its embedded "
        "outbox worker and sandbox webhook sender",
        "seeding": "through the services; one argon2 hash computed once and reused for every buyer",
        "machine": info,
        "workdir": str(workdir) if keep else None,
    }
    return result


def table(result: dict[str, Any]) -> Table:
    t = Table(
        title=f"老铁 flash sale on {result['database']}: {result['buyers']} buyers, stock {result['stock']}"
    )
    t.add_column("measure")
    t.add_column("value", justify="right")
    for key in (
        "orders_created",
        "orders_paid",
        "oversold",
        "duplicates",
        "ledger_exact",
        "sold_out_answers",
        "errors",
        "rush_server_cpu_ms_per_answer",
        "noop_server_cpu_ms_per_answer",
        "rush_db_cpu_ms_per_answer",
        "rush_client_cpu_ms_per_answer",
        "orders_per_s",
        "p50_ms",
        "p99_ms",
        "noop_rps",
        "ratio",
        "paid_after_rush_s",
        "completed_orders_per_s",
        "pay_requests_per_s",
        "pay_server_cpu_ms_per_order",
        "pay_client_cpu_ms_per_order",
    ):
        t.add_row(key, str(result[key]))
    for key, value in result["timings"].items():
        t.add_row(key, str(value))
    return t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--stock", type=int, default=1000)
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="OUT",
        help="write the result as JSON (default bench/results/flash-sale-<db>.json)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help="the PostgreSQL benchmark database (dropped and created; default %(default)s)",
    )
    parser.add_argument(
        "--pay-profile",
        type=Path,
        help="sample the server with py-spy while the orders are paid (collapsed stacks)",
    )
    parser.add_argument(
        "--pay-concurrency", type=int, default=32, help="buyers paying at the same time (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary files and the database")
    parser.add_argument("--workers", type=int, default=1, help="API processes (PostgreSQL when > 1)")
    parser.add_argument(
        "--profile", type=Path, help="sample the server with py-spy during the rush (collapsed stacks)"
    )
    args = parser.parse_args()
    result = run(
        args.db,
        args.buyers,
        args.stock,
        args.keep,
        args.profile,
        args.workers,
        database=args.database,
        pay_profile=args.pay_profile,
        pay_concurrency=args.pay_concurrency,
    )
    console.print(table(result))
    if args.json is not None:
        out = Path(args.json) if args.json else RESULTS / f"flash-sale-{args.db}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        console.print(f"written to {out}")
    ok = (
        result["oversold"] == 0
        and result["duplicates"] == 0
        and result["ledger_exact"] == 1
        and result["orders_paid"] == result["orders_created"]
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

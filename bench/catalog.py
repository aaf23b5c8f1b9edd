"""Catalog read benchmark: the buyer shelf and product pages under many concurrent clients.

    python bench/catalog.py --db sqlite|postgres --products 10000 --clients 100 --duration 20 --json out.json

Creates a fresh database (a SQLite file in a temporary directory, or the PostgreSQL database
``laotie_bench``), migrates it, seeds listed products through the real services, starts the real
server (``laotie serve``: one Uvicorn worker, embedded outbox worker) on a free 127.0.0.1 port and
drives it with ``wrk`` (Debian package ``wrk``): a C load generator, so the clients do not take the
server's CPU the way a Python client would on a small machine. Each endpoint is measured alone:
the shelf (``GET /api/v1/products``, random page among the first 100, a random category one time in
three), a product page (``GET /api/v1/products/{random id}``) and ``GET /api/v1/health`` as the
ceiling of the server itself. Results are printed as a table and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from catalog_bulk import bulk_seed  # noqa: E402
from catalog_seed import SeedReport, seed_catalog  # noqa: E402
from laotie.core.install_secrets import random_secrets_env  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "laotie_bench"
WARM_UP_SECONDS = 3
SETTLE_SECONDS = 5  # between endpoints: what the last one left queued finishes
SHELF_PAGES = 100
BULK_ABOVE = 20_000  # products; the services seed ~134 a second
# What is measured, by wrk script kind: the JSON API, the buyer's HTML pages, and the ceiling.
ENDPOINTS = {
    "list": "shelf list",
    "detail": "product detail",
    "page": "product page HTML",
    "home": "home page HTML",
}

LUA = """
local ids = {%(ids)s}
local first_id, last_id = %(first_id)d, %(last_id)d
local categories = {%(categories)s}
local kind = "%(kind)s"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(20240601 + (seed or 0))
end

function pick()
  if #ids > 0 then return ids[math.random(#ids)] end
  return math.random(first_id, last_id)  -- a bulk-seeded catalogue: ids are contiguous
end

function request()
  if kind == "list" then
    local path = "/api/v1/products?limit=20&offset=" .. (math.random(0, %(pages)d - 1) * 20)
    if math.random(3) == 1 then
      path = path .. "&category_id=" .. categories[math.random(#categories)]
    end
    return wrk.format("GET", path)
  elseif kind == "detail" then
    return wrk.format("GET", "/api/v1/products/" .. pick())
  elseif kind == "page" then
    return wrk.format("GET", "/p/" .. pick())
  elseif kind == "home" then
    return wrk.format("GET", "/")
  end
  return wrk.format("GET", "/api/v1/health")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk.strip(),
    }


def fresh_database(kind: str, workdir: Path, admin_url: str, name: str = BENCH_DATABASE) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
    engine.dispose()
    return version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def start_server(database_url: str, port: int, workdir: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    """``laotie serve`` from this checkout with ``workers`` API processes, embedded outbox worker."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "LAOTIE_DATABASE_URL": database_url,
        "LAOTIE_MEDIA_DIR": str(workdir / "media"),
        **random_secrets_env(),  # a server starts only with safe secrets (issue 9)
    }
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "laotie.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited early; see {workdir / 'server.log'}")
        try:
            if get_json(f"http://127.0.0.1:{port}/api/v1/health")["status"] == "ok":
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("server did not become healthy in 120 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wrk(
    base: str, script: Path, clients: int, threads: int, seconds: int, timeout_s: int = 10
) -> dict[str, Any]:
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", f"--timeout={timeout_s}s"]
    out = subprocess.run(
        [*command, "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 60
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
        "non_2xx": raw["status"],
    }


def seed_in_bulk(url: str, products: int) -> SeedReport:
    """``catalog_bulk.bulk_seed`` (the rows the services would write, in bulk) and what the load
    scripts need from it: the (contiguous) product ids and the category ids."""
    # The search index (read by the home page's feed, not by the shelf or the product pages) takes
    # longer than the rows at a million products: built up to 100,000.
    summary = bulk_seed(url, products, search=products <= 100_000)
    return existing_catalog(url, summary)


def existing_catalog(url: str, summary: dict[str, Any] | None = None) -> SeedReport:
    """What the load scripts need from a bulk-seeded database: its (contiguous) product ids and the
    category ids."""
    summary = summary or {"how": "an existing bulk-seeded database (--existing)"}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            low, high, count = conn.execute(
                text("SELECT min(id), max(id), count(*) FROM catalog_product WHERE status = 'listed'")
            ).one()
            category_ids = list(
                conn.execute(text("SELECT id FROM categories_category ORDER BY id")).scalars()
            )
    finally:
        engine.dispose()
    if high - low + 1 != count:
        raise SystemExit("bulk-seeded product ids are not contiguous")
    report = SeedReport(
        products=count,
        skus=summary.get("skus", 0),
        shops=summary.get("shops", 0),
        seconds=summary.get("seconds", 0.0),
        category_ids=category_ids,
    )
    report.id_range = (low, high)
    report.how = summary.get("how", "bulk")
    return report


def wait_for_outbox(url: str, limit_s: float = 900.0) -> float:
    """Wait until the server's outbox worker has delivered the seeding's events (search indexing of
    every new product). Measured before this, half the server's time went to that backlog (py-spy,
    issue 15), not to the reads being measured. Returns the seconds waited."""
    engine = create_engine(url)
    started = time.monotonic()
    pending_sql = text(
        "SELECT count(*) FROM core_outbox_event WHERE delivered_at IS NULL AND dead_at IS NULL"
    )
    try:
        with console.status("waiting for the outbox worker to deliver the seeding's events"):
            while time.monotonic() - started < limit_s:
                with engine.connect() as conn:
                    pending = conn.execute(pending_sql).scalar_one()
                if not pending:
                    break
                time.sleep(1.0)
    finally:
        engine.dispose()
    return round(time.monotonic() - started, 1)


def check_data(base: str, report: SeedReport) -> None:
    """Refuse to measure an empty or broken shelf: 404s are fast and would flatter the figures."""
    page = get_json(f"{base}/api/v1/products?limit=20")
    if page["total"] != report.products or len(page["items"]) != min(20, report.products):
        raise SystemExit(f"the shelf shows {page['total']} products, {report.products} were seeded")
    last = report.id_range[1] if report.id_range else report.product_ids[-1]
    detail = get_json(f"{base}/api/v1/products/{last}")
    if not detail["skus"]:
        raise SystemExit("a seeded product page has no SKUs")


def measure(
    args: argparse.Namespace, base: str, report: SeedReport, workdir: Path, server_pid: int
) -> list[dict[str, Any]]:
    results = []
    # The ceiling first, on a server nothing has queued work on: a slow endpoint leaves requests
    # behind in the thread pool after wrk stops, and they ran into the next measurement.
    kinds = ["health"] + [k for k in args.endpoints.split(",") if k in ENDPOINTS]
    for kind in kinds:
        time.sleep(SETTLE_SECONDS)
        endpoint = ENDPOINTS.get(kind, "health")
        script = workdir / f"{kind}.lua"
        script.write_text(
            LUA
            % {
                "ids": ",".join(map(str, report.product_ids)) if not report.id_range else "",
                "first_id": report.id_range[0] if report.id_range else 0,
                "last_id": report.id_range[1] if report.id_range else 0,
                "categories": ",".join(map(str, report.category_ids)),
                "kind": kind,
                "pages": min(SHELF_PAGES, max(1, report.products // 20)),
            }
        )
        with console.status(f"{endpoint}: warming up, then {args.duration} s with {args.clients} clients"):
            wrk(base, script, args.clients, args.threads, WARM_UP_SECONDS)
            profiler = start_profiler(args, server_pid, kind)
            cpu_before = server_cpu_s(server_pid)
            try:
                figures = wrk(base, script, args.clients, args.threads, args.duration)
            finally:
                cpu_used = server_cpu_s(server_pid) - cpu_before
                stop_profiler(profiler)
        figures["server_cpu_ms_per_request"] = round(1000 * cpu_used / max(figures["requests"], 1), 3)
        results.append({"endpoint": endpoint, "db": args.db, **figures})
    ceiling = results[0]["requests_per_s"] or 1.0
    for r in results:
        r["ratio_to_health"] = round(r["requests_per_s"] / ceiling, 3)
    return results


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server and its child processes (``--workers``), from /proc:
    the figure a noisy shared machine changes least, unlike requests per second."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def start_profiler(args: argparse.Namespace, pid: int, kind: str) -> subprocess.Popen[bytes] | None:
    """py-spy (PyPI) sampling the server while one endpoint is measured: raw collapsed stacks of the
    thread holding the GIL, the resource every request of one process competes for."""
    if not args.profile:
        return None
    out = Path(args.profile) / f"catalog-{args.db}-{kind}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [
        spy,
        "record",
        "-p",
        str(pid),
        "-o",
        str(out),
        "-f",
        "raw",
        "-r",
        "200",
        "--gil",
        "--nonblocking",
    ]
    if args.workers > 1:
        command.append("--subprocesses")
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return profiler


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=60)


def print_table(results: list[dict[str, Any]], report: SeedReport) -> None:
    table = Table(title=f"Laotie catalog, {report.products} listed products ({report.skus} SKUs)")
    for name in ("endpoint", "db", "req/s", "ratio", "cpu ms/req", "p50 ms", "p99 ms", "errors", "requests"):
        table.add_column(name, justify="left" if name in ("endpoint", "db") else "right")
    for r in results:
        table.add_row(
            r["endpoint"],
            r["db"],
            f"{r['requests_per_s']:.0f}",
            f"{r['ratio_to_health']:.3f}",
            f"{r['server_cpu_ms_per_request']:.3f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["errors"]),
            str(r["requests"]),
        )
    console.print(table)
    console.print(
        f"seeded in {report.seconds:.1f} s ({report.products / max(report.seconds, 0.1):.0f} products/s, "
        f"{'in bulk' if report.id_range else 'through the services'})"
    )


def make_catalog(args: argparse.Namespace, workdir: Path) -> tuple[str, SeedReport]:
    """A fresh database, seeded through the services or in bulk (``--seed``)."""
    url = fresh_database(args.db, workdir, args.postgres_admin_url, args.database)
    how = args.seed if args.seed != "auto" else ("bulk" if args.products > BULK_ABOVE else "services")
    if how == "bulk":
        return url, seed_in_bulk(url, args.products)
    with console.status(f"migrating and seeding {args.products} products on {args.db}"):
        return url, seed_catalog(url, args.products)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (one leaves the server more CPU)")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        help="write results (default bench/results/catalog-<db>.json)",
    )
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument(
        "--database", default=BENCH_DATABASE, help="PostgreSQL database to (re)create: give yours a name"
    )
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help=f"comma-separated, from {','.join(ENDPOINTS)} (health is always measured, first)",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy the server during each endpoint (raw stacks per endpoint)"
    )
    parser.add_argument("--workers", type=int, default=1, help="API processes (PostgreSQL when > 1)")
    parser.add_argument(
        "--seed",
        choices=["auto", "services", "bulk"],
        default="auto",
        help=f"through the services, or in bulk (bench/catalog_bulk.py); auto: bulk above {BULK_ABOVE:,}",
    )
    parser.add_argument(
        "--existing",
        metavar="URL",
        help="measure an already bulk-seeded database (one kept with --keep) instead of making one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and server log afterwards")
    args = parser.parse_args()
    if args.json == "":
        args.json = str(ROOT / "bench" / "results" / f"catalog-{args.db}.json")

    workdir = Path(tempfile.mkdtemp(prefix="laotie-bench-"))
    if args.existing:
        url = args.existing
        args.keep = True  # never drop what we did not make
        report = existing_catalog(url)
    else:
        url, report = make_catalog(args, workdir)
    port = free_port()
    server = start_server(url, port, workdir, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        drained_s = wait_for_outbox(url)
        # Other work on the machine takes CPU from the server: record how busy it was before we started.
        load_before = round(os.getloadavg()[0], 2)
        if load_before > 0.5 * (os.cpu_count() or 1):
            console.print(
                f"[yellow]the machine is busy (load average {load_before}): figures will be low[/yellow]"
            )
        check_data(base, report)
        results = measure(args, base, report, workdir, server.pid)
    finally:
        stop_server(server)
    print_table(results, report)
    if args.json:
        info = machine()
        info["load_average_before"] = load_before
        info["outbox_drained_after_s"] = drained_s
        if args.db == "postgres":
            info["postgres"] = postgres_version(url)
        document = {
            "benchmark": "catalog",
            "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
            "machine": info,
            "config": {
                "db": args.db,
                "products": report.products,
                "clients": args.clients,
                "duration_s": args.duration,
                "wrk_threads": args.threads,
                "uvicorn_workers": args.workers,
                "shelf_pages": SHELF_PAGES,
            },
            "seeding": report.summary(),
            "results": results,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        console.print(f"results written to {args.json}")
    if not args.keep:
        if args.db == "postgres":
            admin = create_engine(args.postgres_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            admin.dispose()
        for child in sorted(workdir.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        workdir.rmdir()
    else:
        console.print(f"kept {workdir} and database {url}")


if __name__ == "__main__":
    main()

"""Live-room fan-out: N WebSocket viewers on P API processes, C comments per second, pinned and
flash-sale events; how many arrive, how late, and what it costs the servers.

    python bench/live_fanout.py --viewers 5000 --comments-per-s 100 --processes 2 --json [out.json]

1. A fresh SQLite database in a temporary directory, migrated and seeded through the real services:
   an open shop with two listed products, its live room with a live session and both products in
   the live cart, and ``commenters`` buyers with access tokens (2 × C by default, so each posts
   0.5 comments per second, inside the per-user rate limit).
2. P ``uvicorn laotie.app:create_app`` processes on free 127.0.0.1 ports; with P > 1 they share
   rooms through Redis pub/sub (LAOTIE_REDIS_URL, a channel prefix of their own).
3. K client processes (``--clients``) open the N viewer sockets, spread round-robin over the
   servers; the commenters are among them (logged in by token), the others watch anonymously.
4. For ``--seconds``: commenters post C comments per second in total, each carrying its send time
   (``cid``, echoed by the server); the driver pins the two products in turn every second, and
   creates a flash sale that opens 3 s later and is bought out, which publishes ``flash``,
   ``flash_open``, ``stock`` and ``sold_out`` events.
5. Every viewer counts what it receives. ``events_expected`` = events published × viewers (every
   viewer must get every pinned, flash and stock event); ``events_delivered`` what they got.
   ``p50_ms``/``p99_ms``: send to receipt of comments (send time from the commenting client) and
   events (publish time stamped by the server), measured on one viewer in ten.
   ``disconnects``: viewer sockets that closed before the end. Server CPU from /proc (user+system
   seconds over the run, as a share of one core) and peak resident memory.

Clients and servers share this machine's cores: the figures include that contention.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from fanout_client import client  # noqa: E402
from laotie.core.install_secrets import random_secrets_env  # noqa: E402

console = Console()
RESULTS = ROOT / "bench" / "results"
REDIS_URL = os.environ.get("LAOTIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


# --- seeding ---------------------------------------------------------------------------------


def seed(url: str, commenters: int) -> dict[str, Any]:
    from flash_seed import _buyers, _merchant_and_sku, _one_hash_for_all, _principal, migrate
    from laotie.accounts import service as accounts
    from laotie.catalog import service as catalog
    from laotie.catalog.schemas import ProductCreate, SkuIn
    from laotie.core.auth import Role
    from laotie.core.db import Database
    from laotie.core.uow import unit_of_work
    from laotie.live import service as live
    from laotie.live.schemas import RoomIn, SessionIn
    from laotie.shops.models import Shop

    migrate(url)
    db = Database(url)
    # Tables newer than the committed migration (it is regenerated when branches merge).
    from laotie.migrations.registry import metadata

    metadata.create_all(db.engine)
    try:
        with _one_hash_for_all():
            world = _merchant_and_sku(db, stock=100_000, price_fen=2990)
            buyers = list(_buyers(db, commenters))
        with unit_of_work(db) as session:
            shop = session.get(Shop, world.shop_id)
            assert shop is not None
            owner = accounts.get_user(session, shop.owner_id)
            token, _ = accounts.issue_token(session, owner, "fan-out bench")
            merchant = _principal(owner.id, Role.BUYER)
            reviewer = _principal(
                accounts.find_user_id_by_phone(session, "13700000002") or 0, Role.GOVERNANCE
            )
            second = catalog.create_product(
                session,
                merchant,
                world.shop_id,
                ProductCreate(
                    category_id=catalog.get_product(session, merchant, world.product_id).category_id,
                    title="直播间福利 五常大米 5kg",
                    description="产地直发",
                    attributes=[],
                    skus=[SkuIn(attrs={}, price_fen=5990, stock=1000)],
                ),
            )
            catalog.submit_for_review(session, merchant, second.id)
            catalog.approve(session, reviewer, second.id)
            room, key = live.open_room(session, merchant, RoomIn(shop_id=world.shop_id, title="老铁直播间"))
            out = live.create_session(session, merchant, room.id, SessionIn(title="千人秒杀专场"))
            live.start_by_key(session, key.stream_key)
            live.add_to_cart(session, merchant, out.id, world.product_id)
            cart = live.add_to_cart(session, merchant, out.id, second.id)
            session.commit()
        return {
            "session_id": out.id,
            "anchor_token": token,
            "items": [i.id for i in cart],
            "sku_id": world.sku_id,
            "flash_item": cart[0].id,
            "buyers": [(b.token, b.address_id) for b in buyers],
        }
    finally:
        db.dispose()


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_servers(
    url: str, processes: int, workdir: Path, frame_ms: int, frame_budget: int, ws: str = "auto"
) -> tuple[list[int], list[Any]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(workdir / "media"),
        "LAOTIE_LIVE_FRAME_MS": str(frame_ms),
        "LAOTIE_LIVE_FRAMES_PER_SECOND": str(frame_budget),
        "LAOTIE_LIVE_REDIS_CHANNEL": f"bench:{uuid.uuid4().hex[:8]}:",
        **random_secrets_env(),  # a server starts only with safe secrets (issue 9)
    }
    if processes > 1:
        env["LAOTIE_REDIS_URL"] = REDIS_URL
    ports, servers = [], []
    for i in range(processes):
        port = free_port()
        log = (workdir / f"server{i}.log").open("wb")
        command = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--backlog", "8192"]
        command += ["--ws-ping-interval", "60", "--ws-ping-timeout", "60"]
        # No per-message deflate (it would compress the same frame once per viewer); uvloop, httptools.
        command += [
            "--ws",
            ws,
            "--ws-per-message-deflate",
            "false",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ]
        servers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir))
        ports.append(port)
    for port, server in zip(ports, servers, strict=True):
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"server on {port} exited; see {workdir}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("a server did not start") from None
                time.sleep(0.2)
    return ports, servers


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the driver ------------------------------------------------------------------------------


def _http(method: str, url: str, token: str, body: dict[str, Any], key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        console.print(f"[yellow]{method} {url} answered {e.code}: {e.read()[:200]!r}[/yellow]")
        return int(e.code)


def drive(plan: dict[str, Any], base: str, start_at: float) -> dict[str, int]:
    """Pin in turn every second; a flash sale 5 s in, opening 3 s later, bought out by 5 buyers."""
    sid, token = plan["session_id"], plan["anchor_token"]
    time.sleep(max(0.0, start_at - time.time()))
    pins = 0
    flash_made = False
    flash_id = None
    bought = 0
    began = time.time()
    while time.time() - began < plan["seconds"]:
        tick = time.time()
        item = plan["items"][pins % len(plan["items"])]
        if _http("PUT", f"{base}/api/v1/live/sessions/{sid}/pin", token, {"item_id": item}) == 200:
            pins += 1
        if not flash_made and tick - began > 5:
            body = {
                "item_id": plan["flash_item"],
                "sku_id": plan["sku_id"],
                "price_fen": 990,
                "quantity": 5,
                "per_buyer_limit": 1,
                "starts_at": (datetime.now(UTC) + timedelta(seconds=3)).isoformat(),
            }
            request = urllib.request.Request(
                f"{base}/api/v1/live/sessions/{sid}/flash-sales",
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as r:
                flash_id = json.loads(r.read())["id"]
            flash_made = True
        if flash_id is not None and bought < 5 and tick - began > 9:
            buyer_token, address_id = plan["buyers"][bought]
            status = _http(
                "POST",
                f"{base}/api/v1/live/sessions/{sid}/flash-sales/{flash_id}/buy",
                buyer_token,
                {"address_id": address_id},
                key=f"bench-{bought}",
            )
            bought += 1 if status == 201 else 0
            if status != 201:
                console.print(f"[yellow]flash buy answered {status}[/yellow]")
        time.sleep(max(0.0, 1.0 - (time.time() - tick)))
    return {"pins": pins, "flash_sales": 1 if flash_made else 0, "flash_bought": bought}


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = [round(x, 2) for x in os.getloadavg()]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    commenters = args.commenters or max(20, 2 * args.comments_per_s)
    workdir = Path(tempfile.mkdtemp(prefix="laotie-fanout-"))
    url = f"sqlite:///{workdir / 'fanout.db'}"
    console.print(f"seeding {commenters} commenters in {workdir}")
    world = seed(url, commenters)
    ports, servers = start_servers(url, args.processes, workdir, args.frame_ms, args.frames_per_s, args.ws)
    plan = {
        "session_id": world["session_id"],
        "anchor_token": world["anchor_token"],
        "items": world["items"],
        "flash_item": world["flash_item"],
        "sku_id": world["sku_id"],
        "buyers": world["buyers"],
        "comments_per_s": args.comments_per_s,
        "seconds": args.seconds,
        "clients": args.clients,
        "drain_seconds": args.drain,
    }
    viewers: list[list[tuple[int, str | None]]] = [[] for _ in range(args.clients)]
    for n in range(args.viewers):
        token = world["buyers"][n][0] if n < commenters else None
        viewers[n % args.clients].append((ports[n % len(ports)], token))
    connect_budget = 10 + args.viewers / 250
    start_at = time.time() + connect_budget
    out: Any = mp.get_context("spawn").Queue()
    clients = [
        mp.get_context("spawn").Process(target=client, args=(i, plan, viewers[i], start_at, out))
        for i in range(args.clients)
    ]
    for c in clients:
        c.start()
    # CPU from the moment the viewers are connected and the run starts (not the connecting).
    time.sleep(max(0.0, start_at + 1 - time.time()))
    cpu_before = {s.pid: cpu_seconds(s.pid) for s in servers}
    try:
        driven = drive(plan, f"http://127.0.0.1:{ports[-1]}", start_at + 1)
        cpu_after = {s.pid: cpu_seconds(s.pid) for s in servers}
        wall = time.time() - (start_at + 1)
        results = [out.get(timeout=300 + args.drain) for _ in clients]
        for c in clients:
            c.join(timeout=60)
        memory = [round(rss_mib(s.pid), 1) for s in servers]
    finally:
        for s in servers:
            s.send_signal(signal.SIGINT)
        for s in servers:
            try:
                s.wait(timeout=20)
            except subprocess.TimeoutExpired:
                s.kill()
    connected = sum(r["connected"] for r in results)
    keys = sorted({k for r in results for k in r["event_keys"]})
    published = len(keys)
    latencies = sorted(x for r in results for x in r["latencies"])

    def pct(q: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else 0.0
        )

    sent = sum(r["sent"] for r in results)
    return {
        "benchmark": "live_fanout",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": load_before,
        },
        "processes": args.processes,
        "redis": args.processes > 1,
        "clients": args.clients,
        "frame_ms": args.frame_ms,
        "ws": args.ws,
        "frames_per_s_per_process": args.frames_per_s,
        "seconds": args.seconds,
        "drain_seconds": args.drain,
        "viewers": connected,
        "viewers_failed": sum(r["failed"] for r in results),
        "comments_per_s": args.comments_per_s,
        "comments_sent": sent,
        "comments_delivered": sum(r["comments"] for r in results),
        "comments_expected_without_sampling": sent * connected,
        "events_sent": published,
        "events_expected": published * connected,
        "events_delivered": sum(r["events"] for r in results),
        "pins": driven["pins"],
        "flash_bought": driven["flash_bought"],
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else 0.0,
        "latency_samples": len(latencies),
        "disconnects": sum(r["disconnects"] for r in results),
        "miscounted_frames": sum(r["miscounted_frames"] for r in results),
        "server_cpu_core_share": [
            round((cpu_after[s.pid] - cpu_before[s.pid]) / max(wall, 0.001), 2) for s in servers
        ],
        "server_peak_rss_mib": memory,
        "client_cpu_core_share": [round(r["cpu_seconds"] / max(r["run_seconds"], 0.001), 2) for r in results],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def table(result: dict[str, Any]) -> Table:
    t = Table(title=f"live fan-out: {result['viewers']} viewers, {result['processes']} processes")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for key in (
        "viewers",
        "comments_sent",
        "comments_delivered",
        "events_sent",
        "events_expected",
        "events_delivered",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "disconnects",
        "server_cpu_core_share",
        "server_peak_rss_mib",
        "client_cpu_core_share",
        "load_average_after",
    ):
        t.add_row(key, str(result[key]))
    return t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--comments-per-s", type=int, default=100)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--clients", type=int, default=2, help="client processes holding the sockets")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--frame-ms", type=int, default=100)
    parser.add_argument("--commenters", type=int, default=0)
    parser.add_argument(
        "--drain", type=float, default=10.0, help="seconds to keep reading after the last send"
    )
    parser.add_argument(
        "--frames-per-s", type=int, default=10_000, help="per server process (LAOTIE_LIVE_FRAMES_PER_SECOND)"
    )
    parser.add_argument("--ws", default="auto", help="uvicorn --ws: auto, websockets, websockets-sansio")
    parser.add_argument("--json", nargs="?", const=str(RESULTS / "live_fanout.json"), default=None)
    args = parser.parse_args()
    result = run(args)
    console.print(table(result))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        existing: list[dict[str, Any]] = []
        if path.exists():
            try:
                loaded = json.loads(path.read_text())
                existing = loaded if isinstance(loaded, list) else [loaded]
            except ValueError:
                existing = []
        path.write_text(json.dumps([*existing, result], indent=2, ensure_ascii=False) + "\n")
        console.print(f"written to {path}")


if __name__ == "__main__":
    main()

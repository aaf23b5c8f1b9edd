"""The flash sale's load: one-shot bursts through ``wrk`` and the buyers' payments through httpx.

``burst`` sends every prepared request exactly once from ``wrk`` (see ``flash_rush.lua``), one
connection per request, all connecting at once: the rush of buyers, and the same shape of requests
to ``/api/v1/health`` for the server's ceiling. wrk is a C program, so the load generator takes a
small share of this machine's two cores; a Python client would compete with the server for them.

``pay_all`` then pays every placed checkout as the buyers' apps would: start the payment, confirm
it at the sandbox PSP's cashier with the test method ``tok_ok``. That part is not timed against a
target, so a Python client (httpx, asyncio) with bounded concurrency does it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LUA = Path(__file__).resolve().with_name("flash_rush.lua")


@dataclass(frozen=True)
class Prepared:
    method: str
    path: str
    token: str = ""
    key: str = ""
    body: str = ""

    def line(self) -> str:
        for part in (self.method, self.path, self.token, self.key, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError("prepared requests are tab-separated lines")
        return "\t".join((self.method, self.path, self.token, self.key, self.body))


@dataclass
class Burst:
    requests: int
    answered: int = 0
    sent: int = 0
    extra: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    socket_errors: dict[str, int] = field(default_factory=dict)
    # First request sent and last answer read, on time.monotonic()'s clock (0 when unknown).
    started_s: float = 0.0
    ended_s: float = 0.0

    @property
    def answered_once(self) -> int:
        """Answers to prepared requests: a re-sent stand-in after a dropped connection is not one."""
        return self.answered - self.extra

    @property
    def per_second(self) -> float:
        return self.answered_once / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: run `make bench-deps` (Debian package wrk)")
    return found


def _pairs(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def burst(
    base_url: str, prepared: list[Prepared], workdir: Path, name: str, threads: int = 1, bound_s: float = 120
) -> Burst:
    """Send each request once, all at the same moment, one connection each; wait for every answer."""
    prefix = workdir / name
    chunks = [prepared[i::threads] for i in range(threads)]
    for i, chunk in enumerate(chunks):
        Path(f"{prefix}.{i}").write_text("\n".join(p.line() for p in chunk) + "\n")
    outs = [Path(f"{prefix}.{i}.out") for i in range(threads)]
    command = [
        require_wrk(),
        "-t",
        str(threads),
        "-c",
        str(len(prepared)),
        "-d",
        f"{int(bound_s)}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(LUA),
        base_url,
    ]
    log = (workdir / f"{name}.wrk.log").open("w")
    env = {**os.environ, "FLASH_PREFIX": str(prefix)}
    wrk = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + bound_s
    while not all(o.exists() for o in outs) and wrk.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if wrk.poll() is None:
        wrk.send_signal(signal.SIGINT)  # ends wrk's sleep: it joins its threads and runs done()
    wrk.wait(timeout=60)
    log.close()
    result = Burst(requests=len(prepared))
    first: list[int] = []
    last: list[int] = []
    for out in outs:
        if not out.exists():
            continue
        for parts in _pairs(out):
            if parts[0] == "status":
                result.statuses[int(parts[1])] += int(parts[2])
            elif parts[0] == "code":
                result.codes[parts[1]] += int(parts[2])
            elif parts[0] == "first_sent_us" and int(parts[1]):
                first.append(int(parts[1]))
            elif parts[0] == "last_answer_us" and int(parts[1]):
                last.append(int(parts[1]))
            elif parts[0] in ("sent", "answered", "extra"):
                setattr(result, parts[0], getattr(result, parts[0]) + int(parts[1]))
    if first and last:
        result.seconds = (max(last) - min(first)) / 1e6
        result.started_s, result.ended_s = min(first) / 1e6, max(last) / 1e6
    latency = {k: int(v) for k, v in _pairs(Path(f"{prefix}.latency"))}
    result.p50_ms = latency["p50_us"] / 1000
    result.p90_ms = latency["p90_us"] / 1000
    result.p99_ms = latency["p99_us"] / 1000
    result.max_ms = latency["max_us"] / 1000
    result.socket_errors = {
        k: latency[k] for k in ("timeouts", "connect_errors", "read_errors", "write_errors") if latency[k]
    }
    return result


@dataclass
class Payments:
    started: int = 0
    confirmed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


async def _pay_one(
    client: httpx.AsyncClient, token: str, checkout_id: int, gate: asyncio.Semaphore, out: Payments
) -> None:
    async with gate:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"pay-checkout-{checkout_id}"}
        for _ in range(3):  # a retry with the same key is what a buyer's app does after a dropped call
            try:
                r = await client.post(f"/api/v1/checkouts/{checkout_id}/pay", headers=headers)
                break
            except httpx.TransportError as exc:
                out.failures[f"pay:{type(exc).__name__}"] += 1
        else:
            return
        if r.status_code != 200:
            out.failures[f"pay:{r.status_code}"] += 1
            return
        out.started += 1
        intent = r.json()
        body = json.dumps({"client_secret": intent["client_secret"], "payment_method": "tok_ok"})
        retried = False
        for _ in range(3):  # a kept-alive connection the loaded server closed: the app retries
            try:
                c = await client.post(
                    intent["next_action_url"], content=body, headers={"Content-Type": "application/json"}
                )
                break
            except httpx.TransportError as exc:
                out.failures[f"confirm:{type(exc).__name__}"] += 1
                retried = True
        else:
            return
        if c.status_code == 409 and retried:  # the dropped call had gone through: it is confirmed
            c.status_code = 202
        if c.status_code != 202:
            out.failures[f"confirm:{c.status_code}"] += 1
            return
        out.confirmed += 1


async def _pay_all(base_url: str, checkouts: list[tuple[str, int]], concurrency: int) -> Payments:
    out = Payments()
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        await asyncio.gather(*(_pay_one(client, t, c, gate, out) for t, c in checkouts))
    out.seconds = time.perf_counter() - started
    return out


def pay_all(base_url: str, checkouts: list[tuple[str, int]], concurrency: int = 32) -> Payments:
    """Each buyer pays its checkout: start the payment, confirm at the sandbox cashier (tok_ok)."""
    return asyncio.run(_pay_all(base_url, checkouts, concurrency))

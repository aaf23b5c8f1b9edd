"""The flash sale's load: one-shot bursts through ``wrk`` and the buyers' payments through ``http.client``.

``burst`` sends every prepared request exactly once from ``wrk`` (see ``flash_rush.lua``), one
connection per request, all connecting at once: the rush of buyers, and the same shape of requests
to ``/api/v1/health`` for the server's ceiling. wrk is a C program, so the load generator takes a
small share of this machine's two cores; a Python client would compete with the server for them.

``pay_all`` then pays every placed checkout as the buyers' apps would: start the payment, confirm
it at the sandbox PSP's cashier with the test method ``tok_ok``. Those are two dependent calls per
buyer, which ``wrk`` cannot chain, so a Python client does them: the standard library's
``http.client`` in one thread per paying buyer, each on a kept-alive connection (the sandbox sender's
``KeepAliveSender``). httpx's pool cost ~10 ms of CPU per order here and was the pay phase's bottleneck
(issue 15, session 7).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from laotie.payments.sandbox.keep_alive import KeepAliveSender

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
    client_cpu_s: float = 0.0  # this process's CPU while paying: the load generator's share
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures[what] += 1


def _post(
    sender: KeepAliveSender, path: str, body: bytes, headers: dict[str, str], out: Payments, step: str
) -> tuple[int, bytes, bool] | None:
    """POST, retried on a dropped connection as a buyer's app retries (twice more at most): the
    answer's status and body, and whether it was retried."""
    for attempt in range(3):
        try:
            status, answer = sender.exchange(path, body, headers)
            return status, answer, attempt > 0
        except (OSError, http.client.HTTPException) as exc:
            out.failed(f"{step}:{type(exc).__name__}")
    return None


def _pay_one(sender: KeepAliveSender, token: str, checkout_id: int, out: Payments) -> None:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"pay-checkout-{checkout_id}"}
    paid = _post(sender, f"/api/v1/checkouts/{checkout_id}/pay", b"", headers, out, "pay")
    if paid is None:
        return
    if paid[0] != 200:
        out.failed(f"pay:{paid[0]}")
        return
    with out.lock:
        out.started += 1
    intent = json.loads(paid[1])
    body = json.dumps({"client_secret": intent["client_secret"], "payment_method": "tok_ok"}).encode()
    json_body = {"Content-Type": "application/json"}
    confirmed = _post(sender, intent["next_action_url"], body, json_body, out, "confirm")
    if confirmed is None:
        return
    status, _, retried = confirmed
    if status == 409 and retried:  # the dropped call had gone through: it is confirmed
        status = 202
    if status != 202:
        out.failed(f"confirm:{status}")
        return
    with out.lock:
        out.confirmed += 1


def pay_all(base_url: str, checkouts: list[tuple[str, int]], concurrency: int = 32) -> Payments:
    """Each buyer pays its checkout: start the payment, confirm at the sandbox cashier (tok_ok);
    ``concurrency`` buyers at a time, each on a kept-alive connection of its own thread."""
    out = Payments()
    sender = KeepAliveSender(base_url, timeout=60.0)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="buyer") as pool:
            for done in [pool.submit(_pay_one, sender, t, c, out) for t, c in checkouts]:
                done.result()
    finally:
        sender.close()
    out.seconds = time.perf_counter() - started
    out.client_cpu_s = time.process_time() - cpu
    return out

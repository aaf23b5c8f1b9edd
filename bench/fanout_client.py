"""The viewers of the live fan-out benchmark: one client process holds many WebSocket sockets.

Each socket is an asyncio ``Protocol`` driving the websockets library's sans-I/O ``ClientProtocol``:
bytes in, frames out, with no task or async iterator per socket. Five thousand viewers on the same
two cores as the servers must cost the servers as little CPU as can be, or the benchmark measures
its own clients. A frame is counted from its bytes (each message's ``"type": "..."``), and parsed as
JSON only on the viewers that measure latency (one in ten) or when it carries an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

EVENT_TYPES = ("pinned", "flash", "flash_open", "stock", "sold_out")
EVENT_MARKERS = tuple(f'"type": "{t}"'.encode() for t in EVENT_TYPES)
COMMENT_MARKER = b'"type": "comment"'


def event_key(m: dict[str, Any]) -> str:
    """One published event, the same for every viewer that receives it."""
    kind = m.get("type")
    if kind == "pinned":
        return f"pinned:{m.get('ts')}"
    if kind == "flash":
        return f"flash:{m['sale']['id']}"
    if kind == "stock":
        return f"stock:{m.get('flash_id')}:{m.get('remaining')}"
    return f"{kind}:{m.get('flash_id')}"


class Stats:
    def __init__(self) -> None:
        self.events = 0
        self.comments = 0
        self.disconnects = 0
        self.latencies: list[float] = []
        self.event_keys: set[str] = set()
        self.stopping = False

    def count(self, data: bytes, measured: bool) -> None:
        now = time.time()
        comments = data.count(COMMENT_MARKER)
        self.comments += comments
        has_event = any(marker in data for marker in EVENT_MARKERS)
        if not has_event and not (measured and comments):
            return
        for m in json.loads(data):
            kind = m.get("type")
            if kind == "comment":
                if measured and "cid" in m:
                    self.latencies.append(now - float(m["cid"]))
            elif kind in EVENT_TYPES:
                self.events += 1
                self.event_keys.add(event_key(m))
                if measured:
                    self.latencies.append(now - float(m.get("ts", now)))


class Viewer(asyncio.Protocol):
    def __init__(self, uri: str, stats: Stats, measured: bool) -> None:
        self.ws = ClientProtocol(parse_uri(uri), max_size=2**22)
        self.stats = stats
        self.measured = measured
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCP transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if not self.opened.done():
                    self.opened.set_result(event.status_code == 101)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.stats.count(event.data, self.measured)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        if not self.closed and not self.stats.stopping:
            self.stats.disconnects += 1
        self.closed = True

    def send_text(self, text: str) -> None:
        if not self.closed:
            self.ws.send_text(text.encode())
            self._flush()

    def close(self) -> None:
        if self.closed or self.transport is None:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self.ws.send_close(1000)
            self._flush()
        self.transport.close()


async def connect(uri: str, port: int, stats: Stats, measured: bool) -> Viewer | None:
    loop = asyncio.get_running_loop()
    for _ in range(5):
        try:
            _, viewer = await loop.create_connection(lambda: Viewer(uri, stats, measured), "127.0.0.1", port)
            if await asyncio.wait_for(viewer.opened, 60):
                return viewer
            viewer.close()
        except Exception:
            pass
        await asyncio.sleep(0.5)
    return None


async def client_main(
    index: int, plan: dict[str, Any], viewers: list[tuple[int, str | None]], start_at: float
) -> dict[str, Any]:
    sid = plan["session_id"]
    stats = Stats()
    sockets: list[Viewer | None] = []
    batch = 100  # connect in waves so the servers' accept queues are not flooded
    for i in range(0, len(viewers), batch):
        wave = viewers[i : i + batch]
        sockets += await asyncio.gather(
            *(
                connect(
                    f"ws://127.0.0.1:{port}/api/v1/live/sessions/{sid}/ws"
                    + (f"?token={token}" if token else ""),
                    port,
                    stats,
                    (i + n) % 10 == 0,
                )
                for n, (port, token) in enumerate(wave)
            )
        )
    connected = [s for s in sockets if s is not None]
    commenters = [s for s, (_, token) in zip(sockets, viewers, strict=True) if token and s is not None]
    await asyncio.sleep(max(0.0, start_at - time.time()))
    rate = plan["comments_per_s"] / plan["clients"]
    seconds = plan["seconds"]
    sent = 0
    began = time.time()
    before = resource.getrusage(resource.RUSAGE_SELF)
    while commenters and time.time() - began < seconds:
        due = int((time.time() - began) * rate)
        while sent < due:
            text = json.dumps(
                {"type": "comment", "text": f"主播好 {index}-{sent}", "cid": f"{time.time():.6f}"}
            )
            commenters[sent % len(commenters)].send_text(text)
            sent += 1
        await asyncio.sleep(0.01)
    await asyncio.sleep(max(0.0, began + seconds + plan["drain_seconds"] - time.time()))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats.stopping = True
    for s in connected:
        s.close()
    return {
        "connected": len(connected),
        "failed": len(sockets) - len(connected),
        "disconnects": stats.disconnects,
        "events": stats.events,
        "comments": stats.comments,
        "latencies": stats.latencies,
        "event_keys": sorted(stats.event_keys),
        "sent": sent,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        "run_seconds": time.time() - began,
    }


def client(
    index: int, plan: dict[str, Any], viewers: list[tuple[int, str | None]], start_at: float, out: Any
) -> None:
    """A client process's entry point (multiprocessing, spawn)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(client_main(index, plan, viewers, start_at)))

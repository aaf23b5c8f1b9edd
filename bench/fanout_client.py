"""The viewers of the live fan-out benchmark: one client process holds many WebSocket sockets.

Each socket is an asyncio ``Protocol``, with no task or async iterator per socket: five thousand
viewers on the same two cores as the servers must cost as little CPU as can be, or the benchmark
measures its own clients. The websockets library's sans-I/O ``ClientProtocol`` does the handshake and
frames (masks) what the client sends. What the server sends after the handshake is read by
``FrameReader``, a few lines that split unmasked, unfragmented frames: the library's general parser
(generators, fragmentation, extensions) cost the clients about 30 µs a frame, 0.3 of a core each at
5,000 viewers, taken from the servers being measured. A frame is counted from its bytes (each
message's ``"type": "..."``), and parsed as JSON only on the viewers that measure latency (one in ten)
or when it carries an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import time
from collections.abc import Callable
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

EVENT_TYPES = ("pinned", "flash", "flash_open", "stock", "sold_out")
# Counted in the frame's bytes: only top-level messages carry a "type" (checked on measured viewers).
EVENT_PATTERN = re.compile(b'"type": "(?:' + b"|".join(t.encode() for t in EVENT_TYPES) + b')"')
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
        self.miscounted = 0  # frames whose byte count of events differed from the parsed one
        self.stopping = False

    def count(self, data: bytes, measured: bool) -> None:
        """Every viewer counts comments and events in the bytes; the viewers that measure (one in
        ten) also parse the frame for latencies and for which events were published."""
        now = time.time()
        comments = data.count(COMMENT_MARKER)
        events = len(EVENT_PATTERN.findall(data))
        self.comments += comments
        self.events += events
        if not measured or not (comments or events):
            return
        parsed = 0
        for m in json.loads(data):
            kind = m.get("type")
            if kind == "comment":
                if "cid" in m:
                    self.latencies.append(now - float(m["cid"]))
            elif kind in EVENT_TYPES:
                parsed += 1
                self.event_keys.add(event_key(m))
                self.latencies.append(now - float(m.get("ts", now)))
        if parsed != events:
            self.miscounted += 1


class FrameReader:
    """Server-to-client frames after the handshake: never masked, never fragmented (the server sends
    each message as one frame, without extensions); anything else is a protocol error here."""

    def __init__(self, on_frame: Callable[[int, bytes], None]) -> None:
        self.on_frame = on_frame
        self.pending = b""

    def feed(self, data: bytes) -> None:
        buf = self.pending + data if self.pending else data
        pos, end_of_data = 0, len(buf)
        while end_of_data - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            if not first & 0x80 or second & 0x80:
                raise ValueError("a fragmented or masked frame from the server")
            length, head = second & 0x7F, 2
            if length == 126:
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            end = pos + head + length
            if end > end_of_data or end_of_data - pos < head:
                break
            self.on_frame(first & 0x0F, buf[pos + head : end])
            pos = end
        self.pending = buf[pos:]


class Viewer(asyncio.Protocol):
    def __init__(self, uri: str, stats: Stats, measured: bool) -> None:
        self.ws = ClientProtocol(parse_uri(uri), max_size=2**22)
        self.stats = stats
        self.measured = measured
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.head = b""  # the handshake's response, until it is complete
        self.reader: FrameReader | None = None  # once the handshake is done

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
        if self.reader is not None:
            self.reader.feed(data)
            return
        # The handshake's HTTP response goes to the library, whatever follows it to the FrameReader.
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            return
        self.ws.receive_data(self.head[: end + 4])
        for event in self.ws.events_received():
            if isinstance(event, Response) and not self.opened.done():
                self.opened.set_result(event.status_code == 101)
        if self.ws.state is State.OPEN:
            self.reader = FrameReader(self._frame)
            self.reader.feed(self.head[end + 4 :])
        self._flush()

    def _frame(self, opcode: int, payload: bytes) -> None:
        if opcode == Opcode.TEXT.value:
            self.stats.count(payload, self.measured)
        elif opcode == Opcode.PING.value:
            self.ws.send_pong(payload)
            self._flush()
        elif opcode == Opcode.CLOSE.value and self.transport is not None:
            self.transport.close()

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
    usage = resource.getrusage(resource.RUSAGE_SELF)  # CPU over the run, not the quiet drain after it
    ran = time.time() - began
    await asyncio.sleep(max(0.0, began + seconds + plan["drain_seconds"] - time.time()))
    stats.stopping = True
    for s in connected:
        s.close()
    return {
        "connected": len(connected),
        "failed": len(sockets) - len(connected),
        "disconnects": stats.disconnects,
        "events": stats.events,
        "miscounted_frames": stats.miscounted,
        "comments": stats.comments,
        "latencies": stats.latencies,
        "event_keys": sorted(stats.event_keys),
        "sent": sent,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        "run_seconds": ran,
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

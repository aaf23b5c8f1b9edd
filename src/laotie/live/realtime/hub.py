"""A process's live rooms: who is watching here, and the frames they receive.

Messages for a session arrive from the broker (from any process). Every ``frame_seconds`` each room
with something new sends its viewers ONE frame: a JSON array, serialised and encoded as a WebSocket
frame once for the whole room, then written to each viewer's socket (see ``wire``).
Events (pinned product, flash sales, stock, purchases, session state) are always in the frame; when
more comments arrived than ``sample_comments`` in one frame, viewers see a fair random sample of them
(their author still gets their own). Each viewer has an ``Outbox``: frames that pile up behind a slow
socket are merged into one, so a burst costs the viewer fewer, larger frames and never an event; only
a viewer that is really stuck (megabytes waiting) is disconnected, and the room goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from laotie.core import clock
from laotie.core.db import Database
from laotie.live.realtime import store
from laotie.live.realtime.broker import Broker
from laotie.live.realtime.outbox import Outbox
from laotie.live.realtime.wire import Wire, encode
from laotie.moderation import service as moderation

log = logging.getLogger(__name__)

# Message types a room passes on to every viewer, never sampled away.
INTERNAL = {"presence", "likes_delta"}
PRESENCE_SECONDS = 1.0
PRESENCE_STALE_SECONDS = 3.5


@dataclass(eq=False)
class Viewer:
    session_id: int
    user_id: int | None
    nick: str
    queue: Outbox
    close: Callable[[int, str], Coroutine[Any, Any, None]]
    wire: Wire = field(default_factory=lambda: _NO_WIRE)
    dropped: bool = False

    def offer(self, frame: str, data: bytes | None = None) -> bool:
        """Write the frame now if the socket takes it and nothing older waits; else queue it (merged).
        False when the viewer is stuck and should be dropped."""
        if self.dropped:
            return True
        if not self.queue.frames and self.wire.try_write(data if data is not None else encode(frame)):
            return True
        return self.queue.put(frame)


class _QueueOnly:
    """No socket to write to directly: every frame waits for the viewer's sender."""

    def try_write(self, data: bytes) -> bool:
        return False

    async def ready(self) -> None:
        return None

    async def send(self, frame: str) -> None:
        raise RuntimeError("a viewer without a wire has nothing to send on")


_NO_WIRE: Wire = _QueueOnly()


@dataclass
class Room:
    session_id: int
    viewers: set[Viewer] = field(default_factory=set)
    by_user: dict[int, list[Viewer]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    likes_total: int = 0
    likes_dirty: bool = False
    presence: dict[str, tuple[int, float]] = field(default_factory=dict)
    viewer_total: int = 0
    viewers_dirty: bool = False
    peak: int = 0
    flushed_at: float = 0.0


@dataclass
class HubConfig:
    frame_seconds: float = 0.1
    # Frames this process may send per second across all viewers: a busy room sends fewer, larger
    # frames (every viewers / budget seconds, at most ``max_frame_seconds`` apart).
    frames_per_second: int = 10_000
    max_frame_seconds: float = 0.4
    sample_comments: int = 20
    queue_frames: int = 50
    # Characters a viewer may have waiting before it counts as stuck and is disconnected.
    queue_chars: int = 2_000_000
    store_seconds: float = 1.0


class Hub:
    def __init__(self, db: Database, broker: Broker, config: HubConfig | None = None) -> None:
        self.db = db
        self.broker = broker
        self.config = config or HubConfig()
        self.proc = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.rooms: dict[int, Room] = {}
        self.pending = store.Pending()
        self.local_likes: dict[int, int] = {}
        self.stock_dirty: set[int] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ids = itertools.count(1)
        self.frames_sent = 0
        self.slow_dropped = 0

    # --- life -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.broker.start(self._deliver)
        for loop_fn in (self._frames, self._presence, self._store):
            self._tasks.append(self.loop.create_task(loop_fn()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.broker.close()
        try:
            await asyncio.get_running_loop().run_in_executor(None, store.flush, self.db, self._take_pending())
        except Exception:
            log.exception("final live flush failed")

    # --- publishing ---------------------------------------------------------------------------
    async def publish(self, session_id: int, message: dict[str, Any]) -> None:
        message.setdefault("ts", time.time())
        await self.broker.publish(session_id, message)

    def publish_threadsafe(self, session_id: int, message: dict[str, Any]) -> None:
        """From a worker thread (an outbox handler, a sync route): hand the message to the loop."""
        if self.loop is None or self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.publish(session_id, message), self.loop)

    def next_comment_id(self) -> str:
        return f"{self.proc}-{next(self._ids)}"

    def stock_changed(self, flash_id: int) -> None:
        self.stock_dirty.add(flash_id)

    def add_like(self, session_id: int, n: int) -> None:
        self.local_likes[session_id] = self.local_likes.get(session_id, 0) + n

    # --- viewers --------------------------------------------------------------------------------
    def join(self, viewer: Viewer, likes: int) -> Room:
        room = self.rooms.get(viewer.session_id)
        if room is None:
            room = self.rooms[viewer.session_id] = Room(viewer.session_id, likes_total=likes)
        room.viewers.add(viewer)
        if viewer.user_id is not None:
            room.by_user.setdefault(viewer.user_id, []).append(viewer)
        return room

    def leave(self, viewer: Viewer) -> None:
        room = self.rooms.get(viewer.session_id)
        if room is not None and viewer in room.viewers:
            room.viewers.discard(viewer)
            if viewer.user_id is not None:
                mine = room.by_user.get(viewer.user_id, [])
                if viewer in mine:
                    mine.remove(viewer)
                if not mine:
                    room.by_user.pop(viewer.user_id, None)

    def send_to_user(self, session_id: int, user_id: int, message: dict[str, Any]) -> None:
        """A private message (a blocked comment, a refusal) to the user's own sockets in this process."""
        room = self.rooms.get(session_id)
        if room is None:
            return
        mine = room.by_user.get(user_id)
        if not mine:
            return
        frame = json.dumps([message], ensure_ascii=False)
        for viewer in list(mine):
            self._offer(viewer, frame)

    def send_to(self, viewer: Viewer, messages: list[dict[str, Any]]) -> None:
        self._offer(viewer, json.dumps(messages, ensure_ascii=False))

    def _offer(self, viewer: Viewer, frame: str) -> None:
        if not viewer.offer(frame):
            self.drop(viewer, 1013, "too slow")

    def drop(self, viewer: Viewer, code: int, reason: str) -> None:
        """Disconnect a viewer that misbehaves or cannot keep up; the room is not affected."""
        if viewer.dropped:
            return
        viewer.dropped = True
        if code == 1013:
            self.slow_dropped += 1
        self.leave(viewer)
        viewer.queue.close()  # the sender stops
        if self.loop is not None:
            self.loop.create_task(viewer.close(code, reason))

    # --- from the broker ----------------------------------------------------------------------
    def _deliver(self, session_id: int, message: dict[str, Any]) -> None:
        room = self.rooms.get(session_id)
        if room is None:
            return
        kind = message.get("type")
        if kind == "comment":
            room.comments.append(message)
        elif kind == "likes_delta":
            room.likes_total += int(message.get("n", 0))
            room.likes_dirty = True
        elif kind == "presence":
            room.presence[str(message.get("proc"))] = (int(message.get("n", 0)), time.monotonic())
        else:
            room.events.append(message)

    # --- loops ------------------------------------------------------------------------------------
    async def _frames(self) -> None:
        pause = self.config.frame_seconds
        while True:
            await asyncio.sleep(pause)
            try:
                pause = self._due_frames(time.monotonic())
            except Exception:
                pause = self.config.frame_seconds
                log.exception("live frame failed")

    def _due_frames(self, now: float) -> float:
        """Flush every room whose interval has passed; seconds until the next one is due. Waking at
        each room's own time (not on a fixed tick) keeps a 250 ms room at 250 ms, not 300."""
        pause = self.config.frame_seconds
        for room in list(self.rooms.values()):
            interval = self.interval(room)
            if now - room.flushed_at >= interval - 0.002:
                room.flushed_at = now
                self._flush_room(room)
            pause = min(pause, room.flushed_at + interval - now)
        return max(0.005, pause)

    def interval(self, room: Room) -> float:
        """Seconds between a room's frames: the base interval, longer for rooms that are busy here."""
        busy = len(room.viewers) / max(1, self.config.frames_per_second)
        return min(self.config.max_frame_seconds, max(self.config.frame_seconds, busy))

    def _flush_room(self, room: Room) -> None:
        if not (room.events or room.comments or room.likes_dirty or room.viewers_dirty):
            return
        items, room.events = room.events, []
        comments, room.comments = room.comments, []
        hidden: list[dict[str, Any]] = []
        if len(comments) > self.config.sample_comments:
            keep = set(random.sample(range(len(comments)), self.config.sample_comments))
            hidden = [c for i, c in enumerate(comments) if i not in keep]
            comments = [c for i, c in enumerate(comments) if i in keep]
        items.extend(comments)
        if room.likes_dirty:
            items.append({"type": "likes", "total": room.likes_total})
            room.likes_dirty = False
        if room.viewers_dirty:
            items.append({"type": "viewers", "n": room.viewer_total})
            room.viewers_dirty = False
        frame = json.dumps(items, ensure_ascii=False)
        data = encode(frame)
        stuck = [v for v in room.viewers if not v.offer(frame, data)]
        for viewer in stuck:
            self.drop(viewer, 1013, "too slow")
        self.frames_sent += 1
        for comment in hidden:
            user_id = comment.get("user_id")
            if isinstance(user_id, int) and user_id in room.by_user:
                self.send_to_user(room.session_id, user_id, comment)

    async def _presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_SECONDS)
            try:
                await self._presence_once()
            except Exception:
                log.exception("live presence failed")

    async def _presence_once(self) -> None:
        now = time.monotonic()
        for session_id, room in list(self.rooms.items()):
            n = len(room.viewers)
            await self.broker.publish(session_id, {"type": "presence", "proc": self.proc, "n": n})
            room.presence[self.proc] = (n, now)
            total = sum(c for c, at in room.presence.values() if now - at < PRESENCE_STALE_SECONDS)
            if total != room.viewer_total:
                room.viewer_total = total
                room.viewers_dirty = True
            if total > room.peak:
                room.peak = total
                self.pending.peaks[session_id] = max(total, self.pending.peaks.get(session_id, 0))
            if not room.viewers and not room.events:
                del self.rooms[session_id]
        likes, self.local_likes = self.local_likes, {}
        for session_id, n in likes.items():
            await self.broker.publish(session_id, {"type": "likes_delta", "n": n})
            self.pending.likes[session_id] = self.pending.likes.get(session_id, 0) + n

    def _take_pending(self) -> store.Pending:
        pending, self.pending = self.pending, store.Pending()
        return pending

    async def _store(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.store_seconds)
            try:
                if self.stock_dirty:
                    dirty, self.stock_dirty = sorted(self.stock_dirty), set()
                    found = await loop.run_in_executor(None, store.flash_remaining, self.db, dirty)
                    for flash_id, (session_id, remaining) in found.items():
                        await self.publish(
                            session_id, {"type": "stock", "flash_id": flash_id, "remaining": remaining}
                        )
                        if remaining == 0:
                            await self.publish(session_id, {"type": "sold_out", "flash_id": flash_id})
                pending = self._take_pending()
                if not pending.empty():
                    await loop.run_in_executor(None, store.flush, self.db, pending)
            except Exception:
                log.exception("live store failed")

    def record_comment(self, session_id: int, user_id: int, text: str, verdict: moderation.Verdict) -> None:
        """Keep a comment for the next batch write (``store.flush``): blocked ones are written with
        their moderation hit."""
        self.pending.comments.append(store.comment_row(session_id, user_id, text, verdict, clock.now()))

    def record_viewer(self, session_id: int, key: str, user_id: int | None) -> None:
        self.pending.viewers.setdefault((session_id, key), (user_id, clock.now()))


_current: Hub | None = None


def set_current(hub: Hub | None) -> None:
    global _current
    _current = hub


def current() -> Hub | None:
    """The hub of this process (outbox handlers publish through it); None before start-up."""
    return _current

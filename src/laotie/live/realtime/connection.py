"""One viewer's WebSocket: the frames out, comments and likes in, and protection from misbehaviour.

In: ``{"type": "comment", "text": "..."}`` and ``{"type": "like", "n": 1}`` (logged-in viewers only).
Out: JSON arrays of messages (see ``hub``). A client that sends garbage or floods is told, then
disconnected (1008); one that reads slowly gets its waiting frames merged into one (see ``outbox``)
and is disconnected (1013) only when it is stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from laotie.core.errors import AppError
from laotie.live import errors
from laotie.live.realtime.hub import Hub, Viewer
from laotie.live.realtime.outbox import Outbox
from laotie.live.realtime.ratelimit import CommentRateLimiter
from laotie.live.realtime.wire import wire_for
from laotie.moderation import service as moderation

MAX_FRAME_CHARS = 4096


@dataclass
class Limits:
    comment_max_chars: int = 200
    comment_burst: int = 5
    comment_refill_seconds: float = 1.0
    frames_per_second: float = 20.0
    frames_burst: int = 40
    bad_frames: int = 10


class Bucket:
    """A token bucket: ``burst`` at once, one more every ``refill`` seconds."""

    def __init__(self, burst: float, refill_seconds: float) -> None:
        self.burst = burst
        self.refill = refill_seconds
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) / self.refill)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _error(exc: AppError) -> dict[str, Any]:
    return {"type": "error", "code": exc.code, "message": exc.message("zh")}


@dataclass
class Caller:
    session_id: int
    user_id: int | None
    nick: str
    viewer_key: str


async def _sender(viewer: Viewer) -> None:
    # Frames the hub could not write at once (the socket was full, or older ones were waiting):
    # wait for the socket first, then take everything waiting as one merged frame. Taking only
    # once the socket is ready keeps order: the hub writes directly only while nothing waits.
    queue, wire = viewer.queue, viewer.wire
    while await queue.wait():
        await wire.ready()
        frame = queue.take_nowait()
        if frame is not None:
            await wire.send(frame)


async def serve(
    websocket: WebSocket,
    hub: Hub,
    caller: Caller,
    state: list[dict[str, Any]],
    likes: int,
    limits: Limits,
    limiter: CommentRateLimiter,
    queue_frames: int,
) -> None:
    """Run one accepted viewer socket until it closes or is dropped."""

    async def close(code: int, reason: str) -> None:
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(code=code, reason=reason)

    outbox = Outbox(queue_frames, hub.config.queue_chars)
    viewer = Viewer(caller.session_id, caller.user_id, caller.nick, outbox, close, wire_for(websocket))
    hub.join(viewer, likes)
    hub.record_viewer(caller.session_id, caller.viewer_key, caller.user_id)
    hub.send_to(viewer, state)
    sender = asyncio.get_running_loop().create_task(_sender(viewer))
    frames = Bucket(limits.frames_burst, 1 / limits.frames_per_second)
    bad = 0
    try:
        while not viewer.dropped:
            receive = asyncio.ensure_future(websocket.receive())
            done, _ = await asyncio.wait({receive, sender}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:  # the sender finished: dropped, or the socket broke
                receive.cancel()
                break
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                break
            if not frames.take():
                hub.drop(viewer, 1008, "flood")
                break
            text = message.get("text")
            problem = await _handle(hub, viewer, caller, text, limits, limiter)
            if problem is not None:
                bad += 1
                hub.send_to(viewer, [_error(problem)])
                if bad >= limits.bad_frames:
                    hub.drop(viewer, 1008, "bad frames")
                    break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.leave(viewer)
        if not viewer.dropped:
            viewer.dropped = True
            viewer.queue.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        await close(1000, "bye")


async def _handle(
    hub: Hub, viewer: Viewer, caller: Caller, text: object, limits: Limits, limiter: CommentRateLimiter
) -> AppError | None:
    """Act on one incoming frame; an AppError for a frame that is refused or not understood."""
    if not isinstance(text, str) or len(text) > MAX_FRAME_CHARS:
        return errors.BAD_FRAME()
    try:
        data = json.loads(text)
    except ValueError:
        return errors.BAD_FRAME()
    if not isinstance(data, dict):
        return errors.BAD_FRAME()
    kind = data.get("type")
    if kind == "ping":
        hub.send_to(viewer, [{"type": "pong", "ts": data.get("ts")}])
        return None
    if kind not in ("comment", "like"):
        return errors.BAD_FRAME()
    if caller.user_id is None:
        return errors.LOGIN_TO_POST()
    if kind == "like":
        n = data.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
            return errors.BAD_FRAME()
        hub.add_like(caller.session_id, n)
        return None
    body = data.get("text")
    if not isinstance(body, str):
        return errors.BAD_FRAME()
    body = body.strip()
    if not body:
        return errors.COMMENT_EMPTY()
    if len(body) > limits.comment_max_chars:
        return errors.COMMENT_TOO_LONG(limit=limits.comment_max_chars)
    if not await limiter.allow(caller.user_id):
        return errors.COMMENT_TOO_FAST()
    verdict = moderation.classify(body)
    message = {
        "type": "comment",
        "id": hub.next_comment_id(),
        "user_id": caller.user_id,
        "nick": caller.nick,
        "text": body,
        "ts": time.time(),
    }
    if "cid" in data and isinstance(data["cid"], str | int):
        message["cid"] = data["cid"]  # the client's own id, echoed (latency measurements)
    hub.record_comment(caller.session_id, caller.user_id, body, verdict)
    if not verdict.blocked:
        await hub.publish(caller.session_id, message)
    else:
        # Stored, and shown only to its author, who is not told it was hidden from others.
        hub.send_to_user(caller.session_id, caller.user_id, message)
    return None


def anonymous_key() -> str:
    return "a:" + secrets.token_hex(8)

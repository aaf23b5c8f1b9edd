"""How live-room messages reach every API process: in-process, or Redis pub/sub between processes.

A message is a small JSON object for one session. ``publish`` sends it to every process serving that
session's viewers (this one included); each process's hub batches what it receives into frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Deliver = Callable[[int, dict[str, Any]], None]
CHANNEL_PREFIX = "laotie:live:"


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    async def publish(self, session_id: int, message: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class LocalBroker:
    """One process: publishing is delivering."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, session_id: int, message: dict[str, Any]) -> None:
        if self._deliver is not None:
            self._deliver(session_id, message)

    async def close(self) -> None:
        self._deliver = None


class RedisBroker:
    """Several processes: one pattern subscription per process, one PUBLISH per message.

    Publishing does not wait for Redis: messages join an outgoing list that ONE writer task sends as
    a pipeline (one round trip for everything published meanwhile, in order). So a comment burst
    never needs more than one connection for publishing (it used to take one per concurrent
    publisher and ran out of the pool, which closed viewers' sockets), and the viewer posting a
    comment never sees a Redis error.
    """

    def __init__(self, url: str, prefix: str = CHANNEL_PREFIX) -> None:
        import redis.asyncio as redis

        self.prefix = prefix
        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._outgoing: list[tuple[str, str]] = []
        self._wake = asyncio.Event()
        self.publish_failures = 0

    async def start(self, deliver: Deliver) -> None:
        await self._pubsub.psubscribe(f"{self.prefix}*")
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._read(deliver))
        self._writer = loop.create_task(self._write())

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._send_outgoing()

    async def _send_outgoing(self) -> None:
        batch, self._outgoing = self._outgoing, []
        if not batch:
            return
        for attempt in range(3):
            try:
                pipe = self._redis.pipeline(transaction=False)
                for channel, data in batch:
                    pipe.publish(channel, data)
                await pipe.execute()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis publish failed (attempt %d)", attempt + 1, exc_info=True)
                await asyncio.sleep(0.2 * (attempt + 1))
        self.publish_failures += len(batch)

    async def _read(self, deliver: Deliver) -> None:
        while True:
            try:
                async for raw in self._pubsub.listen():
                    if raw.get("type") != "pmessage":
                        continue
                    channel = raw["channel"].decode() if isinstance(raw["channel"], bytes) else raw["channel"]
                    try:
                        session_id = int(channel.removeprefix(self.prefix))
                        message = json.loads(raw["data"])
                    except (ValueError, TypeError):
                        continue
                    deliver(session_id, message)
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection dropped: resubscribe and go on
                log.warning("redis subscription lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                try:
                    await self._pubsub.psubscribe(f"{self.prefix}*")
                except Exception:
                    log.warning("redis resubscribe failed", exc_info=True)

    async def publish(self, session_id: int, message: dict[str, Any]) -> None:
        self._outgoing.append((f"{self.prefix}{session_id}", json.dumps(message, ensure_ascii=False)))
        self._wake.set()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        with contextlib.suppress(Exception):
            await self._send_outgoing()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._pubsub.aclose()
        await self._redis.aclose()


def make_broker(redis_url: str | None, prefix: str = CHANNEL_PREFIX) -> Broker:
    return RedisBroker(redis_url, prefix) if redis_url else LocalBroker()

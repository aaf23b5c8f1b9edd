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
    """Several processes: one pattern subscription per process, one PUBLISH per message."""

    def __init__(self, url: str, prefix: str = CHANNEL_PREFIX) -> None:
        import redis.asyncio as redis

        self.prefix = prefix
        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, deliver: Deliver) -> None:
        await self._pubsub.psubscribe(f"{self.prefix}*")
        self._task = asyncio.get_running_loop().create_task(self._read(deliver))

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
        await self._redis.publish(f"{self.prefix}{session_id}", json.dumps(message, ensure_ascii=False))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._pubsub.aclose()
        await self._redis.aclose()


def make_broker(redis_url: str | None, prefix: str = CHANNEL_PREFIX) -> Broker:
    return RedisBroker(redis_url, prefix) if redis_url else LocalBroker()

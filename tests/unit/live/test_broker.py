"""The Redis broker publishes through one writer: a burst of concurrent publishers needs one
connection, arrives whole and in order (it used to run the connection pool dry and close sockets)."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
import redis

from laotie.live.realtime.broker import RedisBroker

REDIS_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis")
def test_a_burst_of_publishers_arrives_whole_and_in_order() -> None:
    async def scenario() -> list[tuple[int, Any]]:
        got: list[tuple[int, Any]] = []
        prefix = f"test:{uuid.uuid4().hex[:8]}:"
        broker = RedisBroker(REDIS_URL, prefix)
        # A pool far smaller than the burst: one writer must be enough.
        broker._redis.connection_pool.max_connections = 3
        await broker.start(lambda sid, m: got.append((sid, m["n"])))
        await asyncio.gather(*(broker.publish(7, {"n": i}) for i in range(2000)))
        for _ in range(100):
            if len(got) >= 2000:
                break
            await asyncio.sleep(0.05)
        await broker.close()
        assert broker.publish_failures == 0
        return got

    got = asyncio.run(scenario())
    assert got == [(7, i) for i in range(2000)]

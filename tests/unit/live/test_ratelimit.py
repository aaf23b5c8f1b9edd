"""The live-comment rate limit: a token bucket per user (``burst`` at once, then one per refill
interval). In memory for one process; in Redis (one Lua script, one round trip) for many processes,
where two limiters standing for two API processes share one budget per user."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis
import redis.asyncio as aioredis

from laotie.live.realtime.ratelimit import MemoryRateLimiter, RedisRateLimiter, make_comment_limiter
from laotie.settings import Settings

REDIS_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_memory_bucket_allows_the_burst_then_one_per_refill() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(burst=3, refill_seconds=2.0, now=clock)
    assert [limiter.take(7) for _ in range(4)] == [True, True, True, False]
    assert limiter.take(8) is True  # another user has a budget of their own
    clock.t += 1.9
    assert limiter.take(7) is False  # not a whole token yet
    clock.t += 0.1
    assert limiter.take(7) is True
    assert limiter.take(7) is False
    clock.t += 60  # a long pause refills the bucket to the burst, never above it
    assert [limiter.take(7) for _ in range(4)] == [True, True, True, False]


def test_memory_bucket_refused_comments_cost_nothing() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(burst=1, refill_seconds=1.0, now=clock)
    assert limiter.take(1) is True
    for _ in range(5):
        clock.t += 0.1
        assert limiter.take(1) is False
    clock.t += 0.5  # 1.0 s since the allowed one: refused attempts did not push the refill back
    assert limiter.take(1) is True


def test_memory_limiter_is_async_and_rejects_nonsense() -> None:
    limiter = MemoryRateLimiter(burst=2, refill_seconds=60)

    async def run() -> list[bool]:
        return [await limiter.allow(5) for _ in range(3)]

    assert asyncio.run(run()) == [True, True, False]
    with pytest.raises(ValueError):
        MemoryRateLimiter(burst=0, refill_seconds=1)
    with pytest.raises(ValueError):
        MemoryRateLimiter(burst=1, refill_seconds=0)


def test_without_redis_the_deployment_gets_the_memory_limiter() -> None:
    limiter = make_comment_limiter(Settings(redis_url=None, live_comment_burst=4))
    assert isinstance(limiter, MemoryRateLimiter) and limiter.burst == 4


def _require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} for this test: {exc}", pytrace=False)


def test_two_processes_share_one_budget_in_redis() -> None:
    _require_redis()
    prefix = f"test:{uuid.uuid4().hex[:8]}:"

    async def scenario() -> tuple[list[bool], list[bool], list[bool], list[bool], int]:
        # Two clients and two limiters: what two API processes would each have.
        one = RedisRateLimiter(aioredis.from_url(REDIS_URL), prefix, 3, 0.5, owns_client=True)
        two = RedisRateLimiter(aioredis.from_url(REDIS_URL), prefix, 3, 0.5, owns_client=True)
        try:
            first = [await one.allow(42), await two.allow(42), await one.allow(42)]
            spent = [await two.allow(42), await one.allow(42)]
            other = [await two.allow(43)]
            await asyncio.sleep(0.6)  # one token back, for both processes together
            refilled = [await two.allow(42), await one.allow(42)]
            failures = one.failures + two.failures
        finally:
            await one.close()
            await two.close()
        return first, spent, other, refilled, failures

    first, spent, other, refilled, failures = asyncio.run(scenario())
    try:
        assert failures == 0  # every answer came from Redis, not from the in-memory fallback
        assert first == [True, True, True]
        assert spent == [False, False]
        assert other == [True]
        assert refilled == [True, False]
    finally:
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}*")
        ttls = [redis.Redis.from_url(REDIS_URL).pttl(k) for k in keys]
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)
    # The buckets expire on their own once they would be full again (3 x 0.5 s, plus a second).
    assert len(keys) == 2 and all(0 < t <= 2500 for t in ttls)


def test_a_burst_from_both_processes_at_once_takes_exactly_the_budget() -> None:
    _require_redis()
    prefix = f"test:{uuid.uuid4().hex[:8]}:"

    async def scenario() -> list[bool]:
        one = RedisRateLimiter(aioredis.from_url(REDIS_URL), prefix, 5, 60, owns_client=True)
        two = RedisRateLimiter(aioredis.from_url(REDIS_URL), prefix, 5, 60, owns_client=True)
        try:
            answers = await asyncio.gather(*((one if i % 2 else two).allow(9) for i in range(40)))
            assert one.failures + two.failures == 0
            return list(answers)
        finally:
            await one.close()
            await two.close()
            await aioredis.from_url(REDIS_URL).delete(f"{prefix}comment-rate:9")

    assert asyncio.run(scenario()).count(True) == 5


def test_when_redis_is_unreachable_comments_are_judged_in_memory() -> None:
    async def scenario() -> tuple[list[bool], int]:
        gone = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        limiter = RedisRateLimiter(gone, "test:", 2, 60, owns_client=True)
        try:
            return [await limiter.allow(1) for _ in range(3)], limiter.failures
        finally:
            await limiter.close()

    answers, failures = asyncio.run(scenario())
    assert answers == [True, True, False] and failures == 3

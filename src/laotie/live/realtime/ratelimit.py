"""The live-comment rate limit, per user across every API process: a token bucket (``burst`` comments at
once, then one more every ``refill_seconds``).

With Redis (``settings.redis_url``) the bucket lives in Redis and one Lua script reads, refills, takes
and writes it atomically: one round trip per comment, and a user with sockets on two processes shares
one budget. The script reads Redis's own clock (``TIME``), so API hosts whose clocks disagree still
refill at the same pace. Without Redis there is one process, and the bucket lives in its memory.

If Redis stops answering, comments are judged by a bucket in this process's memory until it answers
again: a Redis outage makes the limit per process (as it was before), it does not silence live rooms.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from laotie.settings import Settings

log = logging.getLogger(__name__)

# Buckets a process keeps in memory before it forgets them all (a forgotten bucket is a full one).
MAX_MEMORY_BUCKETS = 100_000

# KEYS[1] the user's bucket (a hash: tokens, at); ARGV burst, refill seconds. Returns 1 (allowed) or 0.
# The key expires once the bucket would be full again anyway, so idle users cost no memory.
TAKE_SCRIPT = """
local burst = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / refill)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * refill * 1000) + 1000)
return allowed
"""


class CommentRateLimiter(Protocol):
    async def allow(self, user_id: int) -> bool: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """One process's buckets: the embedded deployment, and the fallback while Redis is away."""

    def __init__(self, burst: int, refill_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        if burst < 1 or refill_seconds <= 0:
            raise ValueError("burst must be at least 1 and refill_seconds positive")
        self.burst = float(burst)
        self.refill = refill_seconds
        self._now = now
        self._buckets: dict[int, tuple[float, float]] = {}  # user -> (tokens, at)

    def take(self, user_id: int) -> bool:
        now = self._now()
        tokens, at = self._buckets.get(user_id, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - at) / self.refill)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        if user_id not in self._buckets and len(self._buckets) >= MAX_MEMORY_BUCKETS:
            self._buckets.clear()
        self._buckets[user_id] = (tokens, now)
        return allowed

    async def allow(self, user_id: int) -> bool:
        return self.take(user_id)

    async def close(self) -> None:
        self._buckets.clear()


class RedisRateLimiter:
    """Buckets in Redis under ``{prefix}comment-rate:{user_id}``, shared by every process."""

    def __init__(
        self,
        redis: Any,
        prefix: str,
        burst: int,
        refill_seconds: float,
        owns_client: bool = False,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.burst = burst
        self.refill = refill_seconds
        self.fallback = MemoryRateLimiter(burst, refill_seconds)
        self.failures = 0
        self._owns_client = owns_client
        # redis-py sends EVALSHA, and the script body only when Redis answers NOSCRIPT (once).
        self._script = redis.register_script(TAKE_SCRIPT)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}comment-rate:{user_id}"

    async def allow(self, user_id: int) -> bool:
        try:
            allowed = await self._script(keys=[self.key(user_id)], args=[self.burst, repr(self.refill)])
        except Exception:
            self.failures += 1
            if self.failures == 1 or math.log2(self.failures).is_integer():
                log.warning("comment rate limit: Redis failed %d times; judging in memory", self.failures)
            return self.fallback.take(user_id)
        return int(allowed) == 1

    async def close(self) -> None:
        if self._owns_client:
            await self.redis.aclose()


def make_comment_limiter(settings: Settings, client: Any = None) -> CommentRateLimiter:
    """The limiter this deployment needs: Redis-backed when ``settings.redis_url`` is set (on ``client``,
    an open ``redis.asyncio`` client, or on a client of its own), in memory otherwise."""
    burst, refill = settings.live_comment_burst, settings.live_comment_refill_seconds
    if not settings.redis_url:
        return MemoryRateLimiter(burst, refill)
    owns = client is None
    if client is None:
        import redis.asyncio as aioredis

        client = aioredis.from_url(settings.redis_url)
    return RedisRateLimiter(client, settings.live_redis_channel, burst, refill, owns_client=owns)

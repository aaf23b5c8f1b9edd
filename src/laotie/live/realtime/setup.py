"""Wiring the live hub into the app: built with the app, started and stopped with its lifespan."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from fastapi import FastAPI

from laotie.core.db import Database
from laotie.live.realtime import hub as realtime
from laotie.live.realtime.broker import make_broker
from laotie.live.realtime.connection import Limits
from laotie.live.realtime.hub import Hub, HubConfig
from laotie.live.realtime.opening import OpeningNotices, RedisOpeningClaim
from laotie.live.realtime.ratelimit import CommentRateLimiter, make_comment_limiter
from laotie.settings import Settings

log = logging.getLogger(__name__)


def install(app: FastAPI, settings: Settings, db: Database) -> None:
    app.state.live_limits = Limits(
        comment_max_chars=settings.live_comment_max_chars,
        comment_burst=settings.live_comment_burst,
        comment_refill_seconds=settings.live_comment_refill_seconds,
    )
    app.state.live_settings = settings
    app.state.live_hub = None
    app.state.live_redis = None
    # Shared by every process through Redis (in memory without it); built on the running loop.
    app.state.live_comment_limiter = None
    app.state.live_openings = None


async def start(app: FastAPI) -> None:
    settings: Settings = app.state.live_settings
    config = HubConfig(
        frame_seconds=settings.live_frame_ms / 1000,
        sample_comments=settings.live_sample_comments,
        frames_per_second=settings.live_frames_per_second,
        queue_frames=settings.live_viewer_queue_frames,
    )
    hub = Hub(app.state.db, make_broker(settings.redis_url, settings.live_redis_channel), config)
    await hub.start()
    app.state.live_hub = hub
    realtime.set_current(hub)
    client: Any = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        client = app.state.live_redis = aioredis.from_url(settings.redis_url)
    app.state.live_comment_limiter = make_comment_limiter(settings, client)
    claim = None
    if client is not None:
        claim = RedisOpeningClaim(
            client, settings.live_redis_channel, f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
    openings = app.state.live_openings = OpeningNotices(hub, app.state.db, claim)
    try:
        # Flash sales created before this process started (by it, before a restart, or by another).
        await openings.start()
    except Exception:
        log.exception("could not schedule flash-sale opening notices")


async def stop(app: FastAPI) -> None:
    openings: OpeningNotices | None = app.state.live_openings
    if openings is not None:
        await openings.close()
        app.state.live_openings = None
    limiter: CommentRateLimiter | None = app.state.live_comment_limiter
    if limiter is not None:
        await limiter.close()
        app.state.live_comment_limiter = None
    if app.state.live_redis is not None:
        await app.state.live_redis.aclose()
        app.state.live_redis = None
    hub: Hub | None = app.state.live_hub
    if hub is not None:
        await hub.close()
        if realtime.current() is hub:
            realtime.set_current(None)
        app.state.live_hub = None

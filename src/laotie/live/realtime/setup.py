"""Wiring the live hub into the app: built with the app, started and stopped with its lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from laotie.core.db import Database
from laotie.live.realtime import hub as realtime
from laotie.live.realtime.broker import make_broker
from laotie.live.realtime.connection import CommentLimiter, Limits
from laotie.live.realtime.hub import Hub, HubConfig
from laotie.settings import Settings


def install(app: FastAPI, settings: Settings, db: Database) -> None:
    app.state.live_limits = Limits(
        comment_max_chars=settings.live_comment_max_chars,
        comment_burst=settings.live_comment_burst,
        comment_refill_seconds=settings.live_comment_refill_seconds,
    )
    app.state.live_limiter = CommentLimiter(app.state.live_limits)
    app.state.live_settings = settings
    app.state.live_hub = None


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


async def stop(app: FastAPI) -> None:
    hub: Hub | None = app.state.live_hub
    if hub is not None:
        await hub.close()
        if realtime.current() is hub:
            realtime.set_current(None)
        app.state.live_hub = None

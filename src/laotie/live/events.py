"""What live rooms show when orders move: "someone just bought" notices (after commit, via the outbox)."""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

import redis
from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.live.realtime import hub as realtime
from laotie.settings import get_settings


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _publish_from_outside(session_id: int, message: dict[str, Any]) -> None:
    """A process with no hub (``laotie worker``) publishes straight to Redis, where every API process
    listens; a Redis error raises, so the outbox tries again. Without Redis no API process can hear."""
    settings = get_settings()
    if not settings.redis_url:
        return
    body = json.dumps({**message, "ts": time.time()}, ensure_ascii=False)
    _redis(settings.redis_url).publish(f"{settings.live_redis_channel}{session_id}", body)


def _notice(ev: Event, verb: str) -> None:
    session_id = ev.payload.get("live_session_id")
    if not session_id:
        return
    buyer = int(ev.payload.get("buyer_id") or 0)
    message = {
        "type": "purchase",
        "verb": verb,
        "buyer": f"老铁***{buyer % 100:02d}",
        "order_id": ev.payload.get("order_id"),
    }
    hub = realtime.current()
    if hub is not None:
        hub.publish_threadsafe(int(session_id), message)
    else:
        _publish_from_outside(int(session_id), message)


@bus.subscribe("OrderPlaced", name="live.purchase_placed")
def on_order_placed(session: Session, ev: Event) -> None:
    _notice(ev, "正在去买")


@bus.subscribe("OrderPaid", name="live.purchase_paid")
def on_order_paid(session: Session, ev: Event) -> None:
    _notice(ev, "刚刚下单了")

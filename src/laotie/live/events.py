"""What live rooms show when orders move: "someone just bought" notices (after commit, via the outbox),
and everything the live domain registers (these handlers and the flash sales' in ``flash_events``)."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from functools import cache
from typing import Any

import redis
from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.live import LiveSessionStarted
from laotie.events.orders import OrderCancelled, OrderClosed, OrderPaid, OrderPlaced
from laotie.live import flash_events
from laotie.live.realtime import hub as realtime
from laotie.settings import get_settings


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    # A run of orders at once: most have no live room, and those cost nothing then (not even a savepoint).
    bus.subscribe_many(OrderPlaced, on_orders_placed, name="live.purchase_placed")
    bus.subscribe_many(OrderPaid, on_orders_paid, name="live.purchase_paid")
    bus.subscribe(OrderCancelled, flash_events.on_order_cancelled, name="live.flash_stock_back_cancelled")
    bus.subscribe(OrderClosed, flash_events.on_order_closed, name="live.flash_stock_back_closed")
    bus.subscribe(LiveSessionStarted, flash_events.on_session_started, name="live.flash_open_postponed")


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


class _RecentlySent:
    """The notices this process published lately, by the outbox event they came from. A run of
    events whose handler failed part-way (Redis away for one publish) is retried one event at a time
    by the outbox, each under its own event id; the notices that did go out are not shown to the
    room a second time. (An event made outside the outbox has no id and is always published.)"""

    def __init__(self, capacity: int = 20_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def __contains__(self, key: str | None) -> bool:
        with self._lock:
            return key is not None and key in self._keys

    def add(self, key: str | None) -> None:
        if key is None:
            return
        with self._lock:
            self._keys[key] = None
            while len(self._keys) > self._capacity:
                self._keys.popitem(last=False)


_sent = _RecentlySent()


def _notice(ev: OrderPlaced | OrderPaid, verb: str) -> None:
    session_id = ev.live_session_id
    if not session_id or ev.event_id in _sent:
        return
    buyer = ev.buyer_id or 0
    message = {
        "type": "purchase",
        "verb": verb,
        "buyer": f"老铁***{buyer % 100:02d}",
        "order_id": ev.order_id,
    }
    hub = realtime.current()
    if hub is not None:
        hub.publish_threadsafe(int(session_id), message)
    else:
        _publish_from_outside(int(session_id), message)
    _sent.add(ev.event_id)


def on_order_placed(session: Session, ev: OrderPlaced) -> None:
    _notice(ev, "正在去买")


def on_order_paid(session: Session, ev: OrderPaid) -> None:
    _notice(ev, "刚刚下单了")


def on_orders_placed(session: Session, evs: list[OrderPlaced]) -> None:
    """Each notice in the run's order. Should publishing one raise (Redis away), the outbox retries
    the run's events one at a time; the notices already sent are skipped then (``_RecentlySent``).
    Across processes or restarts notices stay at least once, as for any handler whose delivery
    record failed to commit."""
    for ev in evs:
        _notice(ev, "正在去买")


def on_orders_paid(session: Session, evs: list[OrderPaid]) -> None:
    for ev in evs:
        _notice(ev, "刚刚下单了")

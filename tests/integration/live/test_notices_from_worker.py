"""A purchase notice handled in `laotie worker` (a process with no live hub) reaches the API processes
through Redis, instead of being recorded as delivered while going nowhere."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import replace

import pytest
import redis

from laotie.events.orders import OrderPaid
from laotie.live import events as live_events
from laotie.live.realtime import hub as realtime
from laotie.settings import get_settings

REDIS_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _paid_in_room(order_id: int, buyer_id: int) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        shop_id=1,
        buyer_id=buyer_id,
        payable_fen=100,
        pay_mode="pay_now",
        channel="live",
        live_session_id=42,
        creator_id=None,
    )


def test_a_hubless_process_publishes_the_notice_to_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}", pytrace=False)
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    monkeypatch.setenv("LAOTIE_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("LAOTIE_LIVE_REDIS_CHANNEL", prefix)
    get_settings.cache_clear()
    monkeypatch.setattr(realtime, "_current", None)
    listener = client.pubsub()
    listener.psubscribe(f"{prefix}*")
    assert listener.get_message(timeout=2)["type"] == "psubscribe"  # type: ignore[index]
    try:
        live_events.on_order_paid(None, _paid_in_room(7, 1234))  # type: ignore[arg-type]
        message = listener.get_message(timeout=5)
        assert message is not None and message["channel"] == f"{prefix}42".encode()
        body = json.loads(message["data"])
        assert (body["type"], body["verb"], body["buyer"], body["order_id"]) == (
            "purchase",
            "刚刚下单了",
            "老铁***34",
            7,
        )
    finally:
        listener.close()
        get_settings.cache_clear()


def test_a_run_retried_after_a_failed_publish_shows_each_notice_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis refuses the second publish of a run: the outbox retries the run's events one at a time,
    and the first notice, already out, is not shown again."""
    published: list[tuple[int, str]] = []
    refuse = {"order": 102}

    def publish(session_id: int, message: dict[str, object]) -> None:
        if message["order_id"] == refuse.get("order"):
            refuse.clear()
            raise redis.ConnectionError("Redis away")
        published.append((int(message["order_id"]), str(message["verb"])))  # type: ignore[call-overload]

    monkeypatch.setattr(realtime, "_current", None)
    monkeypatch.setattr(live_events, "_publish_from_outside", publish)
    monkeypatch.setattr(live_events, "_sent", live_events._RecentlySent())
    run = [replace(_paid_in_room(order_id, 5), event_id=f"ev{order_id}") for order_id in (101, 102, 103)]
    with pytest.raises(redis.ConnectionError):
        live_events.on_orders_paid(None, run)  # type: ignore[arg-type]
    for ev in run:  # what the outbox does after a failed run
        live_events.on_orders_paid(None, [ev])  # type: ignore[arg-type]
    assert published == [(101, "刚刚下单了"), (102, "刚刚下单了"), (103, "刚刚下单了")]

"""The flash-sale opening notice (``flash_open``) survives a restart: a process starting its hub
schedules the notice of every flash sale not open yet. With Redis shared by several processes only
one of them announces each sale (a claim per sale); without Redis each announces to its own viewers."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.live import service as live
from laotie.live.flash import unopened
from laotie.live.realtime.opening import OpeningNotices, RedisOpeningClaim
from tests.factories.live import flash_sale, on_air
from tests.factories.orders import make_buyer

REDIS_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Recorder:
    """Stands for a process's hub: what it published."""

    def __init__(self) -> None:
        self.published: list[tuple[int, dict[str, Any]]] = []

    async def publish(self, session_id: int, message: dict[str, Any]) -> None:
        self.published.append((session_id, message))


def test_only_sales_still_to_open_are_scheduled(session: Session) -> None:
    air = on_air(session, stock=50)
    soon = flash_sale(session, air, quantity=2, in_seconds=30)
    later = flash_sale(session, air, quantity=3, in_seconds=3600)
    flash_sale(session, air, quantity=1)  # already open
    ended = on_air(session, stock=10)
    flash_sale(session, ended, quantity=1, in_seconds=30)
    live.end_session(session, ended.anchor.principal, ended.session_id)  # closes its sales
    session.commit()
    pending = unopened(session)
    assert [(p.flash_id, p.session_id, p.remaining) for p in pending] == [
        (soon, air.session_id, 2),
        (later, air.session_id, 3),
    ]


def test_a_restarted_process_still_announces_the_opening(app: FastAPI, session: Session) -> None:
    air = on_air(session, stock=20)
    # Created through the service: no process holds a timer for it (its creator "restarted").
    flash_id = flash_sale(session, air, quantity=2, in_seconds=5)
    viewer = make_buyer(session)
    token = viewer.headers["Authorization"].removeprefix("Bearer ")
    seen: list[dict[str, Any]] = []
    with TestClient(app) as client:
        openings = app.state.live_openings
        with client.websocket_connect(f"/api/v1/live/sessions/{air.session_id}/ws?token={token}") as ws:
            assert ws.receive_json()[0]["type"] == "state"
            assert openings.pending() == {flash_id}, "the viewer connected after the opening (slow machine?)"
            deadline = time.monotonic() + 15
            mark = 0
            while time.monotonic() < deadline and not any(m["type"] == "flash_open" for m in seen):
                time.sleep(0.5)
                mark += 1
                ws.send_json({"type": "ping", "ts": mark})
                while not any(m.get("type") == "pong" and m.get("ts") == mark for m in seen):
                    seen += ws.receive_json()
            time.sleep(0.3)
            ws.send_json({"type": "ping", "ts": "last"})
            while not any(m.get("ts") == "last" for m in seen):
                seen += ws.receive_json()
        assert openings.announced == 1 and openings.pending() == set()
    opened = [(m["flash_id"], m["remaining"]) for m in seen if m["type"] == "flash_open"]
    assert opened == [(flash_id, 2)]
    assert app.state.live_openings is None  # stopped with the app


async def _fired(notices: list[OpeningNotices], timeout: float = 15) -> None:
    """Until every timer fired and its announcement finished (the DB check, the claim, the publish)."""
    deadline = time.monotonic() + timeout
    while any(n.pending() for n in notices) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)


def _two_processes(db: Database, claims: list[Any]) -> tuple[list[Recorder], list[int]]:
    async def scenario() -> tuple[list[Recorder], list[int]]:
        hubs = [Recorder(), Recorder()]
        notices = [OpeningNotices(hub, db, claim) for hub, claim in zip(hubs, claims, strict=True)]
        counts = [await n.start() for n in notices]
        await _fired(notices)
        for n in notices:
            await n.close()
        return hubs, counts

    return asyncio.run(scenario())


def test_with_redis_one_process_announces_each_sale(db: Database, session: Session) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} for this test: {exc}", pytrace=False)
    air = on_air(session, stock=20)
    first = flash_sale(session, air, quantity=2, in_seconds=3)
    second = flash_sale(session, air, quantity=1, in_seconds=3.1)
    other = on_air(session, stock=5)
    flash_sale(session, other, quantity=1, in_seconds=3.2)
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    clients = [aioredis.from_url(REDIS_URL), aioredis.from_url(REDIS_URL)]

    async def scenario() -> tuple[list[Recorder], list[int]]:
        hubs = [Recorder(), Recorder()]
        notices = [
            OpeningNotices(hub, db, RedisOpeningClaim(c, prefix, f"p{i}"))
            for i, (hub, c) in enumerate(zip(hubs, clients, strict=True))
        ]
        counts = [await n.start() for n in notices]
        # Another anchor ends their session before its sale opens: nobody announces that one.
        await asyncio.get_running_loop().run_in_executor(None, _end_session_of, db, other)
        await _fired(notices)
        for n in notices:
            await n.close()
        for c in clients:
            await c.aclose()
        return hubs, counts

    try:
        hubs, counts = asyncio.run(scenario())
    finally:
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}*")
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)
    assert counts == [3, 3]
    announced = sorted(m["flash_id"] for hub in hubs for _, m in hub.published)
    assert announced == [first, second]  # each once, across both processes
    assert {sid for hub in hubs for sid, _ in hub.published} == {air.session_id}
    assert len(keys) == 2


def _end_session_of(db: Database, air: Any) -> None:
    from laotie.core.uow import unit_of_work

    with unit_of_work(db) as s:
        live.end_session(s, air.anchor.principal, air.session_id)
        s.commit()


def test_without_redis_each_process_tells_its_own_viewers(db: Database, session: Session) -> None:
    air = on_air(session, stock=20)
    flash_id = flash_sale(session, air, quantity=2, in_seconds=3)
    hubs, counts = _two_processes(db, [None, None])
    assert counts == [1, 1]
    for hub in hubs:  # in-memory brokers do not cross processes: both must announce
        assert hub.published == [
            (air.session_id, {"type": "flash_open", "flash_id": flash_id, "remaining": 2})
        ]


def test_scheduling_a_sale_twice_announces_it_once(db: Database, session: Session) -> None:
    air = on_air(session, stock=20)
    flash_id = flash_sale(session, air, quantity=1, in_seconds=3)
    hub = Recorder()

    async def scenario() -> int:
        notices = OpeningNotices(hub, db)
        await notices.start()
        pending = unopened_in(db)
        notices.schedule(flash_id, pending[flash_id])  # e.g. the creating route, after start-up
        await _fired([notices])
        await notices.close()
        return notices.announced

    assert asyncio.run(scenario()) == 1
    assert [m["flash_id"] for _, m in hub.published] == [flash_id]


def unopened_in(db: Database) -> dict[int, Any]:
    from laotie.core.uow import unit_of_work

    with unit_of_work(db, read_only=True) as s:
        return {p.flash_id: p.starts_at for p in unopened(s)}

"""Two API processes share live rooms through Redis pub/sub: viewers on either process get every
comment and every pinned event posted on either, and the viewer count covers both."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
import websockets

from laotie.core.uow import unit_of_work
from tests.e2e.harness import Site, free_port
from tests.factories.live import on_air
from tests.factories.orders import make_buyer

REDIS_URL = os.environ.get("LAOTIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def two_servers(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}", pytrace=False)
    site = fresh_site("redis-live")
    db = site.database()
    with unit_of_work(db) as session:
        air = on_air(session)
        viewers = [make_buyer(session) for _ in range(4)]
        session.commit()
    env = {
        "LAOTIE_REDIS_URL": REDIS_URL,
        "LAOTIE_LIVE_REDIS_CHANNEL": f"test:{uuid.uuid4().hex[:8]}:",
        "LAOTIE_EMBEDDED_WORKER": "false",
    }
    ports = [free_port(), free_port()]
    for port in ports:
        serve(site, port=port, env=env)
    try:
        yield {"ports": ports, "air": air, "viewers": viewers}
    finally:
        db.dispose()


async def _collect(ws: Any, seconds: float) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(ws.recv(), timeout=left)
        except TimeoutError:
            break
        seen.extend(json.loads(frame))
    return seen


async def _scenario(ports: list[int], air: Any, viewers: list[Any]) -> list[list[dict[str, Any]]]:
    sid = air.session_id
    sockets = []
    for i, buyer in enumerate(viewers):
        token = buyer.headers["Authorization"].removeprefix("Bearer ")
        port = ports[i % 2]
        sockets.append(
            await websockets.connect(f"ws://127.0.0.1:{port}/api/v1/live/sessions/{sid}/ws?token={token}")
        )
    for ws in sockets:
        json.loads(await ws.recv())  # the state
    await asyncio.sleep(1.5)  # presence from both processes
    await sockets[0].send(json.dumps({"type": "comment", "text": "来自一号进程"}))
    await sockets[1].send(json.dumps({"type": "comment", "text": "来自二号进程"}))
    async with httpx.AsyncClient() as client:
        r = await client.put(
            f"http://127.0.0.1:{ports[1]}/api/v1/live/sessions/{sid}/pin",
            json={"item_id": air.item_id},
            headers=air.anchor.headers,
        )
        assert r.status_code == 200, r.text
    seen = await asyncio.gather(*(_collect(ws, 2.5) for ws in sockets))
    for ws in sockets:
        await ws.close()
    return list(seen)


def test_every_message_crosses_processes(two_servers: dict[str, Any]) -> None:
    seen = asyncio.run(_scenario(two_servers["ports"], two_servers["air"], two_servers["viewers"]))
    for messages in seen:
        comments = sorted(m["text"] for m in messages if m["type"] == "comment")
        assert comments == ["来自一号进程", "来自二号进程"]
        pins = [m for m in messages if m["type"] == "pinned"]
        assert len(pins) == 1 and pins[0]["item"]["id"] == two_servers["air"].item_id
    counts = [m["n"] for messages in seen for m in messages if m["type"] == "viewers"]
    assert counts and max(counts) == 4

"""Under uvicorn (what ``laotie serve`` runs) viewers' frames are written straight to their sockets,
not through the ASGI call chain: checked on a real server, with real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session
from websockets.sync.client import connect

from laotie.live.realtime.hub import Hub
from laotie.live.realtime.wire import DirectWire
from tests.factories.live import on_air


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(app: FastAPI) -> Iterator[int]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="auto", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=20)


def _until(check: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_viewers_on_uvicorn_get_room_frames_through_their_own_socket(
    app: FastAPI, served: int, session: Session
) -> None:
    air = on_air(session)
    session.commit()
    url = f"ws://127.0.0.1:{served}/api/v1/live/sessions/{air.session_id}/ws"
    with connect(url) as first, connect(url) as second:
        for ws in (first, second):
            assert json.loads(ws.recv(timeout=5))[0]["type"] == "state"
        hub: Hub = app.state.live_hub
        _until(lambda: air.session_id in hub.rooms and len(hub.rooms[air.session_id].viewers) == 2)
        assert all(isinstance(v.wire, DirectWire) for v in hub.rooms[air.session_id].viewers)
        assert hub.loop is not None
        for n in range(3):
            message = {"type": "pinned", "n": n}
            asyncio.run_coroutine_threadsafe(hub.publish(air.session_id, message), hub.loop).result(5)
        for ws in (first, second):
            seen: list[int] = []
            while len(seen) < 3:
                seen += [m["n"] for m in json.loads(ws.recv(timeout=5)) if m.get("type") == "pinned"]
            assert seen == [0, 1, 2]

"""The hub's frames: one frame per tick, every event in it, a fair sample of a comment flood, and a
slow reader dropped without touching the room."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from laotie.live.realtime.broker import LocalBroker
from laotie.live.realtime.hub import Hub, HubConfig, Viewer


async def _noop_close(code: int, reason: str) -> None:
    return None


def _viewer(hub: Hub, user_id: int | None, size: int = 10) -> Viewer:
    viewer = Viewer(1, user_id, "n", asyncio.Queue(maxsize=size), _noop_close)
    hub.join(viewer, likes=0)
    return viewer


def _frames(viewer: Viewer) -> list[list[dict[str, Any]]]:
    out = []
    while not viewer.queue.empty():
        frame = viewer.queue.get_nowait()
        assert frame is not None
        out.append(json.loads(frame))
    return out


def test_a_flood_is_sampled_but_events_all_arrive() -> None:
    hub = Hub(db=None, broker=LocalBroker(), config=HubConfig(sample_comments=20))  # type: ignore[arg-type]
    watcher, author = _viewer(hub, None), _viewer(hub, 7)
    for i in range(200):
        hub._deliver(1, {"type": "comment", "id": f"c{i}", "user_id": 7 if i == 0 else 100 + i, "text": "hi"})
    for kind in ("pinned", "flash", "stock", "sold_out"):
        hub._deliver(1, {"type": kind})
    hub._flush_room(hub.rooms[1])
    [frame] = _frames(watcher)
    assert [m["type"] for m in frame if m["type"] != "comment"] == ["pinned", "flash", "stock", "sold_out"]
    shown = [m["id"] for m in frame if m["type"] == "comment"]
    assert len(shown) == 20 and len(set(shown)) == 20
    author_frames = _frames(author)
    seen = {m["id"] for f in author_frames for m in f if m["type"] == "comment"}
    assert "c0" in seen  # the author always sees their own comment


def test_a_slow_reader_is_dropped_and_the_room_goes_on() -> None:
    hub = Hub(db=None, broker=LocalBroker(), config=HubConfig())  # type: ignore[arg-type]
    slow, fine = _viewer(hub, None, size=3), _viewer(hub, None, size=100)
    for i in range(10):
        hub._deliver(1, {"type": "pinned", "n": i})
        hub._flush_room(hub.rooms[1])
        if i % 2 == 0:
            _frames(fine)  # this one reads
    assert slow.dropped and slow not in hub.rooms[1].viewers
    assert hub.slow_dropped == 1
    assert not fine.dropped and fine in hub.rooms[1].viewers

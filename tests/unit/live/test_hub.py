"""The hub's frames: one frame per tick, every event in it, a fair sample of a comment flood; a slow
reader's frames coalesced (no event lost), a stuck reader dropped without touching the room."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from laotie.live.realtime.broker import LocalBroker
from laotie.live.realtime.hub import Hub, HubConfig, Viewer
from laotie.live.realtime.outbox import Outbox, merge


async def _noop_close(code: int, reason: str) -> None:
    return None


def _viewer(hub: Hub, user_id: int | None, size: int = 10, chars: int = 2_000_000) -> Viewer:
    viewer = Viewer(1, user_id, "n", Outbox(size, chars), _noop_close)
    hub.join(viewer, likes=0)
    return viewer


def _frames(viewer: Viewer) -> list[list[dict[str, Any]]]:
    out = []
    while not viewer.queue.empty():
        frame = viewer.queue.take_nowait()
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


def test_a_slow_reader_gets_its_frames_merged_with_every_event_in_order() -> None:
    hub = Hub(db=None, broker=LocalBroker(), config=HubConfig())  # type: ignore[arg-type]
    slow, fine = _viewer(hub, None, size=3), _viewer(hub, None, size=100)
    for i in range(10):
        hub._deliver(1, {"type": "pinned", "n": i})
        hub._flush_room(hub.rooms[1])
        if i % 2 == 0:
            _frames(fine)  # this one reads
    assert not slow.dropped and slow in hub.rooms[1].viewers
    assert hub.slow_dropped == 0
    assert len(slow.queue.frames) <= 3  # merged, not piled up
    [frame] = _frames(slow)  # one send carries everything that waited
    assert [m["n"] for m in frame] == list(range(10))


def test_a_stuck_reader_is_dropped_and_the_room_goes_on() -> None:
    hub = Hub(db=None, broker=LocalBroker(), config=HubConfig())  # type: ignore[arg-type]
    stuck, fine = _viewer(hub, 5, size=3, chars=200), _viewer(hub, None, size=100)
    for i in range(10):
        hub._deliver(1, {"type": "pinned", "n": i, "pad": "x" * 20})
        hub._flush_room(hub.rooms[1])
        _frames(fine)
    assert stuck.dropped and stuck not in hub.rooms[1].viewers
    assert 5 not in hub.rooms[1].by_user
    assert hub.slow_dropped == 1
    assert stuck.queue.closed and stuck.queue.empty()
    assert not fine.dropped and fine in hub.rooms[1].viewers


def test_merge_joins_arrays_without_parsing() -> None:
    frames = [json.dumps([{"a": 1}]), "[]", json.dumps([{"b": "老铁"}, {"c": [1, 2]}])]
    assert json.loads(merge(frames)) == [{"a": 1}, {"b": "老铁"}, {"c": [1, 2]}]
    assert merge(["[]"]) == "[]" and json.loads(merge(["[]", "[]"])) == []


def test_the_sender_waits_then_takes_everything_waiting_and_stops_on_close() -> None:
    async def scenario() -> list[str | None]:
        box = Outbox(max_frames=10)
        got: list[str | None] = []

        async def sender() -> None:
            while True:
                frame = await box.take()
                got.append(frame)
                if frame is None:
                    return

        task = asyncio.ensure_future(sender())
        await asyncio.sleep(0)
        box.put("[1]")
        box.put("[2]")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        box.put("[3]")
        await asyncio.sleep(0)
        box.close()
        await asyncio.wait_for(task, 1)
        return got

    assert asyncio.run(scenario()) == ["[1,2]", "[3]", None]

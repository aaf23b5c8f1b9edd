"""A room's frame is encoded once and written straight to each viewer's socket, in order: a viewer
whose socket is full gets later frames through its outbox, merged, never ahead of older ones."""

from __future__ import annotations

import asyncio
import json

from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from laotie.live.realtime.broker import LocalBroker
from laotie.live.realtime.connection import _sender
from laotie.live.realtime.hub import Hub, HubConfig, Viewer
from laotie.live.realtime.outbox import Outbox
from laotie.live.realtime.wire import encode


class FakeSocket:
    """A wire whose socket takes data only while ``writable``."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.written: list[str] = []
        self.direct = 0

    def try_write(self, data: bytes) -> bool:
        if not self.writable.is_set():
            return False
        self.direct += 1
        self.written.append(_decode(data))
        return True

    async def ready(self) -> None:
        await self.writable.wait()

    async def send(self, frame: str) -> None:
        self.written.append(frame)


async def _noop_close(code: int, reason: str) -> None:
    return None


def _decode(data: bytes) -> str:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
    else:  # pragma: no cover - the frame was incomplete
        raise AssertionError("incomplete frame")
    assert frame.opcode is Opcode.TEXT and frame.fin
    return frame.data.decode()


def _numbers(written: list[str]) -> list[int]:
    return [m["n"] for frame in written for m in json.loads(frame)]


def test_encode_makes_one_unmasked_text_frame_of_any_size() -> None:
    for text in ("[]", json.dumps([{"text": "主播好"}], ensure_ascii=False), "[" + "1," * 40_000 + "1]"):
        assert _decode(encode(text)) == text


def test_frames_are_written_directly_and_queue_in_order_while_the_socket_is_full() -> None:
    async def scenario() -> None:
        hub = Hub(db=None, broker=LocalBroker(), config=HubConfig())  # type: ignore[arg-type]
        socket = FakeSocket()
        viewer = Viewer(1, None, "n", Outbox(10), _noop_close, socket)
        hub.join(viewer, likes=0)
        sender = asyncio.get_running_loop().create_task(_sender(viewer))

        def frame(n: int) -> None:
            hub._deliver(1, {"type": "pinned", "n": n})
            hub._flush_room(hub.rooms[1])

        frame(0)
        socket.writable.clear()  # the socket's buffer is full: frames wait in the outbox
        frame(1)
        frame(2)
        await asyncio.sleep(0)
        socket.writable.set()
        frame(3)  # the socket takes data again, but older frames still wait: this one waits too
        assert socket.direct == 1
        await asyncio.sleep(0.01)
        frame(4)  # nothing waits any more: straight to the socket
        viewer.queue.close()
        await sender
        assert _numbers(socket.written) == [0, 1, 2, 3, 4]
        assert socket.direct == 2
        assert len(socket.written) == 3  # 1, 2 and 3 went as one merged frame

    asyncio.run(scenario())

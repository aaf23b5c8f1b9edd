"""A viewer's frames waiting to be sent, coalesced rather than dropped.

Every frame is a JSON array serialised once for the whole room. A viewer whose socket is slower than
the room (a burst, a busy machine) does not fall further and further behind one frame at a time: the
frames that pile up while a send is in progress are merged into ONE array, sent with one write. So a
burst costs a slow viewer fewer, larger frames, and never an event. Only a viewer that is really
stuck (more than ``max_chars`` of frames waiting, i.e. it has read nothing for a long time) is given
up on: ``put`` answers False and the hub disconnects it.
"""

from __future__ import annotations

import asyncio


def merge(frames: list[str]) -> str:
    """Several JSON array texts as one JSON array text, without parsing them."""
    if len(frames) == 1:
        return frames[0]
    inner = [f[1:-1] for f in frames if len(f) > 2]
    return "[" + ",".join(inner) + "]"


class Outbox:
    def __init__(self, max_frames: int = 50, max_chars: int = 2_000_000) -> None:
        self.max_frames = max(1, max_frames)
        self.max_chars = max_chars
        self.frames: list[str] = []
        self.chars = 0
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, frame: str) -> bool:
        """Queue a frame; False when the viewer is stuck (too much waiting) and should be dropped."""
        if self.closed:
            return True
        frames = self.frames
        if len(frames) >= self.max_frames:
            self.frames = frames = [merge(frames)]
        frames.append(frame)
        self.chars += len(frame)
        if self.chars > self.max_chars:
            return False
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def close(self) -> None:
        """No more frames: what is waiting is discarded and the sender stops."""
        self.closed = True
        self.frames = []
        self.chars = 0
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self.frames

    def take_nowait(self) -> str | None:
        """Everything waiting, as one frame (None when nothing is)."""
        if not self.frames:
            return None
        frames, self.frames, self.chars = self.frames, [], 0
        return merge(frames)

    async def wait(self) -> bool:
        """Until a frame is waiting (True) or the outbox is closed (False)."""
        while not self.frames:
            if self.closed:
                return False
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return not self.closed

    async def take(self) -> str | None:
        """The next frame (everything waiting, merged); None once closed."""
        if not await self.wait():
            return None
        return self.take_nowait()

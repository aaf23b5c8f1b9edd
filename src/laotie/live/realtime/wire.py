"""How a frame reaches one viewer's socket.

A server's WebSocket frames are not masked, so every viewer of a room can be sent the very same
bytes: the room's frame is encoded once (header and UTF-8 payload) and written to each viewer's
transport in one synchronous loop, the way the websockets library's own ``broadcast`` does. That
costs a ``transport.write`` per viewer instead of a task switch, an ASGI call chain and a fresh
encoding. It needs the socket under the ASGI server: under uvicorn's ``websockets-sansio`` protocol
(its default when websockets is installed, and what ``laotie serve`` runs) a ``DirectWire`` writes to
it; under any other server an ``AsgiWire`` sends through ASGI, more slowly but correctly.

A direct write happens only while the transport takes data (below its high-water mark) and nothing
older is waiting; otherwise the frame waits in the viewer's ``Outbox``, where frames merge, and the
viewer's sender writes it once the transport drains. So order is kept and a slow reader cannot make
the server buffer without bound.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

RAW_SEND = "laotie.raw_send"


def encode(frame: str) -> bytes:
    """A complete, unmasked text frame: what a server sends, identical for every viewer."""
    return Frame(Opcode.TEXT, frame.encode()).serialize(mask=False)


class Wire(Protocol):
    def try_write(self, data: bytes) -> bool:
        """Write now if the socket takes it without waiting; False leaves the frame to the sender."""

    async def ready(self) -> None:
        """Until the socket takes data without buffering it."""

    async def send(self, frame: str) -> None:
        """Send a frame (after ``ready``)."""


class AsgiWire:
    """Any ASGI server: every frame through the ASGI send callable."""

    def __init__(self, websocket: WebSocket) -> None:
        self._send = websocket.send

    def try_write(self, data: bytes) -> bool:
        return False

    async def ready(self) -> None:
        return None

    async def send(self, frame: str) -> None:
        await self._send({"type": "websocket.send", "text": frame})


class DirectWire:
    """uvicorn's sans-I/O websockets protocol: frames written straight to its transport."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        # Bound once: the hub calls ``try_write`` for every viewer of a room on every frame.
        self._writable = protocol.writable  # an asyncio.Event uvicorn clears while the buffer is full
        self._takes_data = protocol.writable.is_set
        self._closing = protocol.transport.is_closing
        self._write = protocol.transport.write

    def _open(self) -> bool:
        # A close frame from either side closes the transport (client) or sets close_sent (server).
        return not self.protocol.close_sent and not self._closing()

    def try_write(self, data: bytes) -> bool:
        if self._takes_data() and self._open():
            self._write(data)
            return True
        return False

    async def ready(self) -> None:
        await self._writable.wait()

    async def send(self, frame: str) -> None:
        # No await before the write: the hub must not slip a newer frame in between.
        if self._open():
            self._write(encode(frame))


def _sansio_protocol(send: Any) -> Any | None:
    protocol = getattr(send, "__self__", None)
    if protocol is None:
        return None
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:
        return None
    return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None


def wire_for(websocket: WebSocket) -> Wire:
    """The fastest wire this server allows for an accepted socket."""
    protocol = _sansio_protocol(websocket.scope.get(RAW_SEND))
    if protocol is not None and getattr(protocol, "transport", None) is not None:
        return DirectWire(protocol)
    return AsgiWire(websocket)


class RawSendMiddleware:
    """Keeps the ASGI server's own send callable in a WebSocket's scope, before any middleware wraps it,
    so that ``wire_for`` can reach the socket. Must be the outermost middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)

"""Uvicorn's HTTP protocol with the read timeouts it lacks: slow clients are not held forever.

Uvicorn times out an idle keep-alive connection (``timeout_keep_alive``) but nothing else: a client
that connects and sends nothing, sends its headers a byte a minute, or stops half-way through a
body holds its connection (and, for a body, the request's worker) for ever. This protocol adds:

* a header deadline: the request line and headers must arrive within ``http_header_timeout_seconds``
  of the connection opening (or of the first byte of the next request on a kept-alive connection),
  else 408 and the connection is closed; and at most ``http_max_header_bytes`` of them (else 431);
* a body idle timeout: while a body is being read, ``http_body_timeout_seconds`` without a byte
  closes the connection (the route sees a disconnect). Time the server itself is not reading
  (flow control paused because the route has not asked for more) does not count.

``laotie serve`` passes it to uvicorn as ``http=``; see README "Serving" for the settings.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from laotie.settings import get_settings

_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class TimedHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` (uvicorn's default with httptools) plus header and body read timeouts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.http_header_timeout_seconds
        self.body_timeout = settings.http_body_timeout_seconds
        self.max_header_bytes = settings.http_max_header_bytes
        self._deadline: asyncio.TimerHandle | None = None
        self._awaiting_headers = True
        self._reading_body = False
        self._body_byte_at = 0.0
        self._header_bytes = 0
        self._headers_too_large = False

    # Timers.
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_body:
            if self.flow.read_paused:  # the route is slow to read, not the client to send
                self._arm(self.body_timeout)
                return
            idle = self.loop.time() - self._body_byte_at
            if idle < self.body_timeout:  # bytes came meanwhile: the rest of the window from the last
                self._arm(self.body_timeout - idle)
                return
            self.transport.close()  # the route's next receive() is a disconnect
            return
        if self._awaiting_headers:
            self.transport.write(_408)
            self.transport.close()

    # Connection and parser callbacks.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # refused or timed out: nothing more is parsed
        if self._awaiting_headers and self._deadline is None:
            self._arm(self.header_timeout)  # the next request on a kept-alive connection
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def _count_header_bytes(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > self.max_header_bytes:
            self._headers_too_large = True
            # Stops the parser: uvicorn answers a parser error with send_400_response (below: 431).
            raise ValueError("request headers too large")

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        if not self._headers_too_large:
            super().send_400_response(msg)
            return
        self.transport.write(_431)
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._reading_body = True
        self._body_byte_at = self.loop.time()
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        # The timer is not re-armed for each chunk (a timer handle cancelled and made again per
        # request): it looks at when the last byte came when it fires.
        self._body_byte_at = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._awaiting_headers = True
        self._disarm()  # the route runs now; the next request's headers start the clock again
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol takes the connection over
        self._reading_body = self._awaiting_headers = False
        super().handle_websocket_upgrade()

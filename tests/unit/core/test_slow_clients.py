"""Issue 9 item 13: the server drops clients that send their headers or body too slowly, and refuses
oversized headers; normal and kept-alive requests are unaffected."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from laotie.core.http_server import TimedHttpProtocol
from laotie.settings import get_settings

seen: list[str] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            seen.append("disconnect")
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    # In the environment: the suite clears the cached settings before every test.
    short = {
        "LAOTIE_HTTP_HEADER_TIMEOUT_SECONDS": "0.5",
        "LAOTIE_HTTP_BODY_TIMEOUT_SECONDS": "0.5",
        "LAOTIE_HTTP_MAX_HEADER_BYTES": "4096",
    }
    saved = {k: os.environ.get(k) for k in short}
    os.environ.update(short)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=free, http=TimedHttpProtocol, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield free
    server.should_exit = True
    thread.join(10)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


def _read_all(sock: socket.socket, within: float = 5.0) -> tuple[bytes, float]:
    """Everything until the server closes, and how long that took."""
    sock.settimeout(within)
    start = time.monotonic()
    out = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return out, time.monotonic() - start
        out += chunk


def test_a_client_that_sends_nothing_is_dropped_with_408(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        answer, took = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408") and took < 3


def test_headers_sent_a_byte_at_a_time_hit_the_header_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.monotonic()
        sock.settimeout(5)
        try:
            for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)  # each byte well inside any idle timeout: only a deadline stops it
        except OSError:
            pass
        answer, _ = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 4


def test_a_body_that_goes_silent_is_dropped(port: int) -> None:
    seen.clear()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        answer, took = _read_all(sock)
    assert answer == b"" and took < 3
    time.sleep(0.2)
    assert seen == ["disconnect"]


def test_oversized_headers_are_refused_with_431(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n")
        answer, _ = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431")


def test_normal_and_kept_alive_requests_still_work(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.3)  # idle between requests, less than the keep-alive timeout
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1.0)  # waiting for a response is not a slow client: the next request is on time
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")

"""The sandbox's webhook sender keeps one connection per thread alive, and survives the server closing
it while idle (the request is sent again on a new connection)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from laotie.payments.sandbox.delivery import KeepAliveSender


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    seen: ClassVar[list[tuple[str, bytes, int]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, body, self.client_address[1]))
        status = 500 if body == b"boom" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_one_connection_is_kept_and_answers_are_statuses(server: ThreadingHTTPServer) -> None:
    send = KeepAliveSender(f"http://127.0.0.1:{server.server_address[1]}/base")
    try:
        assert send("/hook", b"one", {"Content-Type": "application/json"}) == 200
        assert send("/hook", b"boom", {}) == 500
        assert send("/hook", b"two", {}) == 200
    finally:
        send.close()
    assert [(path, body) for path, body, _ in _Handler.seen] == [
        ("/base/hook", b"one"),
        ("/base/hook", b"boom"),
        ("/base/hook", b"two"),
    ]
    assert len({port for *_, port in _Handler.seen}) == 1  # one kept-alive connection


def test_a_connection_closed_while_idle_is_replaced(server: ThreadingHTTPServer) -> None:
    send = KeepAliveSender(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert send("/hook", b"one", {}) == 200
        conn = send._connection()
        assert conn.sock is not None
        conn.sock.shutdown(2)  # as if the server had timed the idle connection out
        assert send("/hook", b"two", {}) == 200
    finally:
        send.close()
    assert [body for _, body, _ in _Handler.seen] == [b"one", b"two"]


def test_nobody_listening_raises() -> None:
    send = KeepAliveSender("http://127.0.0.1:9")
    with pytest.raises(OSError):
        send("/hook", b"x", {})

"""The sandbox sender's HTTP client: one kept-alive connection per sending thread."""

from __future__ import annotations

import http.client
import threading
import urllib.parse


class KeepAliveSender:
    """Sends over one kept-alive connection per sending thread, with the standard library's
    ``http.client``: measured at a fraction of httpx's CPU per request, and the sender shares the
    API process's CPU with the webhooks it sends. A kept-alive connection the server has closed
    meanwhile fails when reused: that request is sent once more on a new connection (the platform
    answers a notification it already has as a duplicate, so a second copy changes nothing). Any
    other failure raises, and the attempt counts as failed."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        url = urllib.parse.urlsplit(base_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._prefix = url.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, self._port, timeout=self._timeout)
            with self._lock:
                self._open.append(conn)
        return conn

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        return self.exchange(path, body, headers)[0]

    def exchange(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST ``body``; the answer's status and body."""
        for retry in (False, True):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request("POST", self._prefix + path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                if response.will_close:
                    conn.close()
                return response.status, answer
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if retry or not reused:
                    raise
            except BaseException:
                conn.close()  # half a request may be on the wire: never reuse it
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()

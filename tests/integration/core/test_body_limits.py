"""Issue 9 item 9: request bodies are capped per route before they are read.

The app is driven at the ASGI level with a ``receive`` that counts what the server asked for, so the
tests see whether the body was read, not only what was answered.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.request_body import BodyLimit
from tests.factories.orders import make_on_sale
from tests.factories.shops import image_bytes

CHUNK = 64 * 1024
BIG = 300 * 1024 * 1024


class Sender:
    """A client sending ``total`` bytes in chunks, counting the chunks the server took."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.reads = 0

    async def receive(self) -> dict[str, Any]:
        if self.left <= 0:
            await anyio.sleep(3600)  # the server waits for a disconnect it will not get
        self.reads += 1
        part = min(CHUNK, self.left)
        self.left -= part
        return {"type": "http.request", "body": b"{" + b" " * (part - 1), "more_body": self.left > 0}


def _call(app: FastAPI, path: str, sender: Sender, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }

    async def run() -> None:
        with anyio.fail_after(20):
            await app(scope, sender.receive, send)

    anyio.run(run)
    return answer["status"], json.loads(answer["body"])


def test_a_300_mb_login_with_its_length_declared_is_refused_unread(app: FastAPI) -> None:
    sender = Sender(BIG)
    status, body = _call(
        app,
        "/api/v1/accounts/login",
        sender,
        {"content-type": "application/json", "content-length": str(BIG)},
    )
    assert status == 413
    assert body["error"]["code"] == "BODY_TOO_LARGE"
    assert body["error"]["details"] == {"limit_bytes": BodyLimit.JSON}
    assert sender.reads == 0


def test_a_300_mb_chunked_login_is_refused_at_the_limit(app: FastAPI) -> None:
    sender = Sender(BIG)
    status, body = _call(app, "/api/v1/accounts/login", sender, {"content-type": "application/json"})
    assert (status, body["error"]["code"]) == (413, "BODY_TOO_LARGE")
    assert sender.reads <= BodyLimit.JSON // CHUNK + 1  # 64 KiB read, not 300 MB


def test_an_image_upload_route_takes_an_image_but_not_a_video(app: FastAPI) -> None:
    assert BodyLimit.JSON < 5 * 1024 * 1024 < BodyLimit.IMAGE < BodyLimit.VIDEO
    sender = Sender(BodyLimit.IMAGE + 1)
    status, body = _call(
        app,
        "/api/v1/shops/1/products/1/images",
        sender,
        {"content-type": "multipart/form-data; boundary=x", "content-length": str(BodyLimit.IMAGE + 1)},
    )
    assert (status, body["error"]["code"], sender.reads) == (413, "BODY_TOO_LARGE", 0)
    assert body["error"]["details"] == {"limit_bytes": BodyLimit.IMAGE}


def test_bodies_within_their_route_limit_still_work(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    # A product image over the JSON limit passes its route's larger limit.
    picture = image_bytes(size=(900, 900)) + b"\0" * (BodyLimit.JSON + 1)
    r = client.post(
        f"/api/v1/shops/{sale.shop_id}/products/{sale.product_id}/images",
        headers=sale.owner_headers,
        files={"file": ("p.png", picture, "image/png")},
    )
    assert r.status_code != 413, r.text
    # A description of 20,000 Chinese characters (60 KB in UTF-8, 120 KB escaped) fits the text limit.
    r = client.patch(
        f"/api/v1/shops/{sale.shop_id}/products/{sale.product_id}",
        headers=sale.owner_headers,
        json={"description": "好" * 20_000},
    )
    assert r.status_code != 413, r.text
    # A NUL in a JSON body is still refused (checked as the route reads the body).
    r = client.post("/api/v1/accounts/login", json={"identifier": "a\u0000", "password": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_ERROR")

"""One WebSocket per viewer: comments, likes, pinned product, flash-sale and stock events; log-in,
length, rate and screening for comments; garbage and floods disconnect only the offender."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from laotie.core import clock
from tests.factories.live import OnAir, on_air
from tests.factories.orders import Buyer, make_buyer

_marks = iter(range(1, 10**6))


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _connect(client: TestClient, air: OnAir, buyer: Buyer | None = None) -> WebSocketTestSession:
    query = f"?token={_token(buyer.headers)}" if buyer else ""
    return client.websocket_connect(f"/api/v1/live/sessions/{air.session_id}/ws{query}")


def drain(ws: WebSocketTestSession, wait: float = 0.35) -> list[dict[str, Any]]:
    """Every message that reached ``ws`` so far: wait past a frame, then read up to a pong."""
    time.sleep(wait)
    mark = next(_marks)
    ws.send_json({"type": "ping", "ts": mark})
    seen: list[dict[str, Any]] = []
    while True:
        for message in ws.receive_json():
            if message.get("type") == "pong" and message.get("ts") == mark:
                return seen
            seen.append(message)


def _of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("type") == kind]


def test_comments_likes_and_their_rules(client: TestClient, session: Session) -> None:
    air = on_air(session)
    alice, bob = make_buyer(session), make_buyer(session)
    with _connect(client, air) as anon, _connect(client, air, alice) as a, _connect(client, air, bob) as b:
        state = anon.receive_json()
        assert state[0]["type"] == "state" and state[0]["session"]["status"] == "live"
        a.receive_json(), b.receive_json()
        a.send_json({"type": "comment", "text": "主播这件有XL吗"})
        got = _of(drain(anon), "comment")
        assert [(c["text"], c["user_id"]) for c in got] == [("主播这件有XL吗", alice.user_id)]
        anon.send_json({"type": "comment", "text": "hi"})
        assert [e["code"] for e in _of(drain(anon), "error")] == ["LIVE_LOGIN_REQUIRED"]
        a.send_json({"type": "comment", "text": "长" * 201})
        a.send_json({"type": "comment", "text": "   "})
        for i in range(6):
            a.send_json({"type": "comment", "text": f"第{i}条"})
        mine = drain(a)
        assert [e["code"] for e in _of(mine, "error")] == [
            "COMMENT_TOO_LONG",
            "COMMENT_EMPTY",
            "COMMENT_TOO_FAST",
            "COMMENT_TOO_FAST",
        ]
        assert len(_of(drain(b), "comment")) == 1 + 4  # the first one and the four within the burst
        assert len(_of(drain(anon), "comment")) == 4
        # A comment with off-platform contact: its author sees it, nobody else does.
        b.send_json({"type": "comment", "text": "便宜的加我微信 laotie888"})
        assert [c["text"] for c in _of(drain(b), "comment")] == ["便宜的加我微信 laotie888"]
        assert _of(drain(anon), "comment") == []
        b.send_json({"type": "like", "n": 3})
        time.sleep(1.2)  # likes travel with the presence tick
        likes = _of(drain(anon), "likes")
        assert likes and likes[-1]["total"] == 3
    time.sleep(1.2)  # the hub writes comments about once a second
    mine = client.get(f"/api/v1/live/sessions/{air.session_id}/comments/mine", headers=bob.headers).json()
    assert [(c["text"], c["blocked"]) for c in mine] == [("便宜的加我微信 laotie888", True)]


def test_pinned_flash_and_stock_reach_every_viewer(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=10, price_fen=5000)
    buyer = make_buyer(session)
    url = f"/api/v1/live/sessions/{air.session_id}"
    with _connect(client, air) as v1, _connect(client, air, buyer) as v2:
        v1.receive_json(), v2.receive_json()
        assert (
            client.put(f"{url}/pin", json={"item_id": air.item_id}, headers=air.anchor.headers).status_code
            == 200
        )
        made = client.post(
            f"{url}/flash-sales",
            json={
                "item_id": air.item_id,
                "sku_id": air.sale.sku_id,
                "price_fen": 990,
                "quantity": 1,
                "starts_at": clock.now().isoformat(),
            },
            headers=air.anchor.headers,
        )
        assert made.status_code == 201
        flash_id = made.json()["id"]
        bought = client.post(
            f"{url}/flash-sales/{flash_id}/buy",
            json={"address_id": buyer.address_id},
            headers={**buyer.headers, "Idempotency-Key": "ws-1"},
        )
        assert bought.status_code == 201
        time.sleep(1.2)  # stock is read back about once a second
        for ws in (v1, v2):
            seen = drain(ws)
            kinds = [m["type"] for m in seen]
            assert _of(seen, "pinned")[0]["item"]["id"] == air.item_id
            assert _of(seen, "flash")[0]["sale"]["id"] == flash_id
            assert {"flash_open", "stock", "sold_out"} <= set(kinds)
            assert _of(seen, "stock")[-1]["remaining"] == 0


def test_garbage_and_floods_disconnect_only_the_offender(client: TestClient, session: Session) -> None:
    air = on_air(session)
    talker = make_buyer(session)
    with (
        _connect(client, air) as bad,
        _connect(client, air) as flooder,
        _connect(client, air, talker) as good,
    ):
        bad.receive_json(), flooder.receive_json(), good.receive_json()
        for raw in ["not json", "[1,2]", '{"type": "dance"}', '{"type": "like", "n": 1e9}', "x" * 5000] * 2:
            bad.send_text(raw)
        errors = []
        closed = None
        try:
            while True:
                for m in bad.receive_json():
                    errors.append(m.get("code"))
        except Exception as exc:  # the server closed the socket
            closed = exc
        assert closed is not None and errors and set(errors) <= {"LIVE_BAD_FRAME", "LIVE_LOGIN_REQUIRED"}
        for _ in range(200):
            flooder.send_json({"type": "ping", "ts": 0})
        flood_closed = False
        try:
            for _ in range(300):
                flooder.receive_json()
        except Exception:
            flood_closed = True
        assert flood_closed
        good.send_json({"type": "comment", "text": "还在吗"})
        assert [c["text"] for c in _of(drain(good), "comment")] == ["还在吗"]

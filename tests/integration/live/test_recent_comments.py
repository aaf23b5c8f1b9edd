"""A viewer entering a room sees the chat so far: the socket's first ``state`` carries the last 30
shown comments of the session, oldest first, shaped like live comments; blocked ones never."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.db import Database
from laotie.live import service as live
from laotie.live.realtime import store
from tests.factories.live import on_air
from tests.factories.orders import make_buyer
from tests.integration.live.test_live_socket import _connect, _of, drain


def _comment(session_id: int, user_id: int, text: str, shown: bool, seconds: int) -> dict[str, object]:
    return {
        "session_id": session_id,
        "user_id": user_id,
        "text": text,
        "status": "shown" if shown else "blocked",
        "reason": "" if shown else "contact_info",
        "created_at": clock.now() - timedelta(seconds=100 - seconds),
    }


def test_entering_viewers_get_the_last_30_shown_comments_oldest_first(
    client: TestClient, session: Session, db: Database
) -> None:
    air = on_air(session)
    other = on_air(session)
    alice, bob = make_buyer(session), make_buyer(session)
    pending = store.Pending()
    for i in range(34):
        pending.comments.append(_comment(air.session_id, alice.user_id, f"第{i}条", True, i))
    # Blocked ones among the newest: left out, and they do not use up any of the 30 places.
    pending.comments.append(_comment(air.session_id, bob.user_id, "加我微信 laotie888", False, 34))
    pending.comments.append(_comment(air.session_id, bob.user_id, "私聊我 QQ 12345", False, 35))
    pending.comments.append(_comment(other.session_id, bob.user_id, "别的直播间", True, 36))
    store.flush(db, pending)
    with _connect(client, air) as anon, _connect(client, air, bob) as author:
        for ws in (anon, author):  # the author of the blocked ones does not see them here either
            state = ws.receive_json()[0]
            assert state["type"] == "state"
            recent = state["recent_comments"]
            assert [c["text"] for c in recent] == [f"第{i}条" for i in range(4, 34)]
            assert all(c["type"] == "comment" and c["user_id"] == alice.user_id for c in recent)
            assert {c["nick"] for c in recent} == {accounts.get_user_out(session, alice.user_id).nickname}
            assert [c["ts"] for c in recent] == sorted(c["ts"] for c in recent)
        # Shaped like the live ones, so the page renders both the same way.
        author.send_json({"type": "comment", "text": "主播好"})
        live_one = _of(drain(anon), "comment")[0]
        assert set(live_one) == set(recent[0])


def test_a_comment_sent_live_is_there_for_the_next_viewer(client: TestClient, session: Session) -> None:
    air = on_air(session)
    talker = make_buyer(session)
    with _connect(client, air) as first:
        assert first.receive_json()[0]["recent_comments"] == []
    with _connect(client, air, talker) as ws:
        ws.receive_json()
        ws.send_json({"type": "comment", "text": "这件有XL吗"})
        ws.send_json({"type": "comment", "text": "便宜的加我微信 laotie888"})
        drain(ws)
    time.sleep(1.2)  # the hub writes comments about once a second
    with _connect(client, air, talker) as again:
        assert [c["text"] for c in again.receive_json()[0]["recent_comments"]] == ["这件有XL吗"]
    # An ended broadcast's room still opens on its chat (the socket sends the state, then closes).
    live.end_session(session, air.anchor.principal, air.session_id)
    session.commit()
    with _connect(client, air) as late:
        assert [c["text"] for c in late.receive_json()[0]["recent_comments"]] == ["这件有XL吗"]

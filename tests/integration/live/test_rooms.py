"""Rooms, stream keys and the media server's callbacks: a valid key starts the session, anything else
is refused (403, the publisher is dropped) and changes nothing; the end of the stream ends it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.live import service as live
from laotie.live.models import LiveSession, SessionStatus
from laotie.live.schemas import RoomIn, SessionIn
from tests.factories import make_user
from tests.factories.live import creator_anchor, shop_anchor
from tests.factories.orders import make_on_sale
from tests.factories.shops import principal_of

SECRET = "media-test-callback-secret"  # tests/conftest.py sets it


def _publish(client: TestClient, name: str, done: bool = False, secret: str = SECRET) -> tuple[int, str]:
    path = "on-publish-done" if done else "on-publish"
    r = client.post(
        f"/api/v1/live/media/{path}?secret={secret}",
        data={"call": "publish", "app": "live", "name": name},
        follow_redirects=False,
    )
    code = r.json()["error"]["code"] if r.status_code >= 400 else ""
    return r.status_code, code if code else r.headers.get("location", "")


def _events(session: Session, topic: str) -> list[dict[str, object]]:
    found = [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))]
    session.commit()  # SQLite: release the lock the app's next request needs
    return found


def _row(session: Session, session_id: int) -> LiveSession:
    session.expire_all()
    row = session.get(LiveSession, session_id)
    assert row is not None
    session.commit()
    return row


def test_who_may_open_a_room(session: Session) -> None:
    sale = make_on_sale(session)
    anchor = shop_anchor(session, sale)
    assert anchor.stream_key.startswith("lt_")
    creator = creator_anchor(session)
    assert creator.shop_id is None
    buyer_id, _ = make_user(session)
    try:
        live.open_room(session, principal_of(session, buyer_id), RoomIn(title="x"))
        raise AssertionError("a buyer without a shop opened a room")
    except AppError as exc:
        assert exc.code == "NOT_AN_ANCHOR"
    stranger_id, _ = make_user(session, Role.MERCHANT_OWNER)
    try:
        live.open_room(session, principal_of(session, stranger_id), RoomIn(shop_id=sale.shop_id, title="x"))
        raise AssertionError("a stranger opened another shop's room")
    except AppError as exc:
        assert exc.code == "NOT_SHOP_MEMBER"
    try:
        live.open_room(session, anchor.principal, RoomIn(shop_id=sale.shop_id, title="again"))
        raise AssertionError("two rooms for one shop")
    except AppError as exc:
        assert exc.code == "LIVE_ROOM_EXISTS"


def test_a_key_starts_the_session_and_the_end_of_the_stream_ends_it(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session)
    anchor = shop_anchor(session, sale)
    # Without a scheduled session, even the right key is refused.
    assert _publish(client, anchor.stream_key) == (403, "NO_SESSION_TO_START")
    created = client.post(
        f"/api/v1/live/rooms/{anchor.room_id}/sessions", json={"title": "上新专场"}, headers=anchor.headers
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    status, playback = _publish(client, anchor.stream_key)
    assert status == 302 and playback.startswith("rtmp://127.0.0.1:1935/hls/")
    assert anchor.stream_key not in playback
    playback = playback.rsplit("/", 1)[1]
    row = _row(session, session_id)
    assert row.status == SessionStatus.LIVE and row.playback_name == playback
    started = _events(session, "LiveSessionStarted")
    assert started == [
        {
            "session_id": session_id,
            "room_id": anchor.room_id,
            "anchor_user_id": anchor.user_id,
            "shop_id": sale.shop_id,
            "title": "上新专场",
        }
    ]
    # A reconnect with the same key resumes, it does not start twice.
    assert _publish(client, anchor.stream_key)[0] == 302
    assert len(_events(session, "LiveSessionStarted")) == 1
    assert _publish(client, playback, done=True) == (204, "")
    row = _row(session, session_id)
    assert row.status == SessionStatus.ENDED and row.ended_at is not None
    assert [e["session_id"] for e in _events(session, "LiveSessionEnded")] == [session_id]
    # Publishing again to the ended session: refused, nothing changes.
    assert _publish(client, anchor.stream_key) == (403, "NO_SESSION_TO_START")
    assert _row(session, session_id).status == SessionStatus.ENDED


def test_wrong_rotated_and_secretless_keys_are_refused(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    anchor = shop_anchor(session, sale)
    out = live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="t"))
    session.commit()
    assert _publish(client, "lt_not-a-key") == (403, "STREAM_KEY_INVALID")
    assert _publish(client, anchor.stream_key, secret="guess") == (403, "STREAM_KEY_INVALID")
    rotated = client.post(f"/api/v1/live/rooms/{anchor.room_id}/stream-key", headers=anchor.headers)
    assert rotated.status_code == 200
    new_key = rotated.json()["stream_key"]
    assert new_key != anchor.stream_key
    assert _publish(client, anchor.stream_key) == (403, "STREAM_KEY_INVALID")
    assert _row(session, out.id).status == SessionStatus.SCHEDULED
    assert _events(session, "LiveSessionStarted") == []
    assert _publish(client, new_key)[0] == 302
    # Someone else's room: no rotating, no scheduling.
    other = creator_anchor(session)
    r = client.post(f"/api/v1/live/rooms/{anchor.room_id}/stream-key", headers=other.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_LIVE_ROOM_OWNER"


def test_one_open_session_per_room_and_the_anchor_ends_it(client: TestClient, session: Session) -> None:
    creator = creator_anchor(session)
    first = client.post(
        f"/api/v1/live/rooms/{creator.room_id}/sessions", json={"title": "a"}, headers=creator.headers
    )
    second = client.post(
        f"/api/v1/live/rooms/{creator.room_id}/sessions", json={"title": "b"}, headers=creator.headers
    )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["error"]["code"] == "LIVE_ALREADY_ON_AIR"
    sid = first.json()["id"]
    ended = client.post(f"/api/v1/live/sessions/{sid}/end", headers=creator.headers)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert client.get(f"/api/v1/live/sessions/{sid}").json()["status"] == "ended"
    mine = client.get("/api/v1/live/rooms/mine", headers=creator.headers).json()
    assert [r["id"] for r in mine] == [creator.room_id] and mine[0]["live_session_id"] is None

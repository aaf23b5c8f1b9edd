"""Rooms, sessions and stream keys; the media server's publish callbacks start and end sessions."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.events import emit
from laotie.core.ids import token_hash
from laotie.events.live import LiveSessionEnded, LiveSessionStarted
from laotie.live import errors
from laotie.live.models import LiveRoom, LiveSession, SessionStatus
from laotie.live.schemas import RoomIn, RoomOut, SessionIn, SessionOut, StreamKeyOut
from laotie.settings import get_settings
from laotie.shops import service as shops
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind

STREAM_KEY_PREFIX = "lt_"


def _new_key() -> str:
    return STREAM_KEY_PREFIX + secrets.token_urlsafe(24)


def room_out(room: LiveRoom, live_session_id: int | None = None) -> RoomOut:
    return RoomOut(
        id=room.id,
        owner_id=room.owner_id,
        shop_id=room.shop_id,
        title=room.title,
        stream_key_rotated_at=room.stream_key_rotated_at,
        live_session_id=live_session_id,
    )


def _key_out(room: LiveRoom, key: str) -> StreamKeyOut:
    return StreamKeyOut(room_id=room.id, stream_key=key, rtmp_url=get_settings().media_rtmp_url)


def session_out(row: LiveSession, room: LiveRoom) -> SessionOut:
    settings = get_settings()
    hls = None
    if row.playback_name and settings.media_hls_url and row.status == SessionStatus.LIVE:
        hls = f"{settings.media_hls_url.rstrip('/')}/{row.playback_name}.m3u8"
    return SessionOut(
        id=row.id,
        room_id=room.id,
        anchor_user_id=room.owner_id,
        shop_id=room.shop_id,
        title=row.title,
        status=row.status,
        cover_url=f"/api/v1/live/sessions/{row.id}/cover" if row.cover_key else None,
        hls_url=hls,
        scheduled_at=row.scheduled_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        pinned_item_id=row.pinned_item_id,
        likes=row.likes,
    )


def load_room(session: Session, room_id: int) -> LiveRoom:
    room = session.get(LiveRoom, room_id)
    if room is None:
        raise errors.ROOM_NOT_FOUND(room_id=room_id)
    return room


def own_room(session: Session, principal: Principal, room_id: int) -> LiveRoom:
    room = load_room(session, room_id)
    if room.owner_id != principal.user_id:
        raise errors.NOT_ROOM_OWNER(room_id=room_id)
    return room


def load_session(session: Session, session_id: int, *, lock: bool = False) -> tuple[LiveSession, LiveRoom]:
    query = select(LiveSession).where(LiveSession.id == session_id)
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise errors.SESSION_NOT_FOUND(session_id=session_id)
    return row, load_room(session, row.room_id)


def own_session(session: Session, principal: Principal, session_id: int) -> tuple[LiveSession, LiveRoom]:
    row, room = load_session(session, session_id)
    if room.owner_id != principal.user_id:
        raise errors.NOT_ROOM_OWNER(room_id=room.id)
    return row, room


def open_room(session: Session, principal: Principal, body: RoomIn) -> tuple[RoomOut, StreamKeyOut]:
    """A shop member opens the shop's room (self-broadcast); a creator opens their own."""
    if body.shop_id is not None:
        shops.require_selling_shop(session, body.shop_id, principal)
    elif not principal.has(Role.CREATOR):
        raise errors.NOT_AN_ANCHOR()
    existing = session.scalar(
        select(LiveRoom.id).where(
            LiveRoom.owner_id == principal.user_id,
            LiveRoom.shop_id.is_(None) if body.shop_id is None else LiveRoom.shop_id == body.shop_id,
        )
    )
    if existing is not None:
        raise errors.ROOM_EXISTS(room_id=existing)
    key = _new_key()
    now = clock.now()
    room = LiveRoom(
        owner_id=principal.user_id,
        shop_id=body.shop_id,
        title=body.title,
        stream_key_hash=token_hash(key),
        stream_key_rotated_at=now,
        created_at=now,
    )
    session.add(room)
    session.flush()
    return room_out(room), _key_out(room, key)


def rotate_key(session: Session, principal: Principal, room_id: int) -> StreamKeyOut:
    """A new key; the old one stops working at once (a publisher using it is refused next time)."""
    room = own_room(session, principal, room_id)
    key = _new_key()
    room.stream_key_hash = token_hash(key)
    room.stream_key_rotated_at = clock.now()
    session.flush()
    return _key_out(room, key)


def _current(session: Session, room_id: int) -> LiveSession | None:
    return session.scalar(
        select(LiveSession)
        .where(LiveSession.room_id == room_id, LiveSession.status != SessionStatus.ENDED)
        .order_by(LiveSession.id)
        .limit(1)
    )


def my_rooms(session: Session, principal: Principal) -> list[RoomOut]:
    rooms = session.scalars(
        select(LiveRoom).where(LiveRoom.owner_id == principal.user_id).order_by(LiveRoom.id)
    )
    out = []
    for room in rooms:
        current = _current(session, room.id)
        out.append(room_out(room, current.id if current else None))
    return out


def check_not_banned(session: Session, room: LiveRoom) -> None:
    """A governance penalty (禁播) on the anchor or the room's shop keeps the room off air until it ends."""
    ban = standing.restriction(session, SubjectKind.USER, room.owner_id, Effect.NO_LIVE)
    if ban is None and room.shop_id is not None:
        ban = standing.restriction(session, SubjectKind.SHOP, room.shop_id, Effect.NO_LIVE)
    if ban is not None:
        until = ban.ends_at.isoformat(timespec="minutes") if ban.ends_at else "另行通知"
        raise errors.LIVE_BANNED(until=until)


def create_session(session: Session, principal: Principal, room_id: int, body: SessionIn) -> SessionOut:
    room = own_room(session, principal, room_id)
    check_not_banned(session, room)
    if room.shop_id is not None:
        shops.require_selling_shop(session, room.shop_id, principal)
    if _current(session, room.id) is not None:
        raise errors.ALREADY_LIVE(room_id=room.id)
    now = clock.now()
    row = LiveSession(
        room_id=room.id,
        status=SessionStatus.SCHEDULED,
        title=body.title,
        scheduled_at=body.scheduled_at or now,
        likes=0,
        peak_viewers=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return session_out(row, room)


def _announce(
    session: Session, event: type[LiveSessionStarted | LiveSessionEnded], row: LiveSession, room: LiveRoom
) -> None:
    emit(
        session,
        event(
            session_id=row.id,
            room_id=room.id,
            anchor_user_id=room.owner_id,
            shop_id=room.shop_id,
            title=row.title,
        ),
    )


def start(session: Session, row: LiveSession, room: LiveRoom) -> None:
    if row.status == SessionStatus.ENDED:
        raise errors.SESSION_ENDED(session_id=row.id)
    if row.status == SessionStatus.LIVE:
        return
    check_not_banned(session, room)
    row.status = SessionStatus.LIVE
    row.started_at = clock.now()
    row.playback_name = row.playback_name or secrets.token_hex(12)
    session.flush()
    _announce(session, LiveSessionStarted, row, room)


def end(session: Session, row: LiveSession, room: LiveRoom, at: datetime | None = None) -> bool:
    """End a session (from any state but ended); False when it had already ended."""
    if row.status == SessionStatus.ENDED:
        return False
    row.status = SessionStatus.ENDED
    row.ended_at = at or clock.now()
    row.pinned_item_id = None
    session.flush()
    _announce(session, LiveSessionEnded, row, room)
    return True


def start_by_key(session: Session, stream_key: str) -> tuple[LiveSession, LiveRoom]:
    """nginx on_publish: a valid key starts its room's scheduled session (or resumes the live one)."""
    room = session.scalar(select(LiveRoom).where(LiveRoom.stream_key_hash == token_hash(stream_key)))
    if room is None:
        raise errors.STREAM_KEY_INVALID()
    current = _current(session, room.id)
    if current is None:
        raise errors.NO_SESSION_TO_START(room_id=room.id)
    start(session, current, room)
    return current, room


def end_by_name(session: Session, name: str) -> int | None:
    """nginx on_publish_done: the stream under this playback name (or key) stopped; end its session."""
    row = session.scalar(
        select(LiveSession).where(LiveSession.playback_name == name, LiveSession.status == SessionStatus.LIVE)
    )
    if row is None:
        room = session.scalar(select(LiveRoom).where(LiveRoom.stream_key_hash == token_hash(name)))
        if room is None:
            return None
        row = _current(session, room.id)
        if row is None or row.status != SessionStatus.LIVE:
            return None
    room = load_room(session, row.room_id)
    end(session, row, room)
    return row.id


def live_now(session: Session, limit: int = 50) -> list[SessionOut]:
    rows = session.execute(
        select(LiveSession, LiveRoom)
        .join(LiveRoom, LiveRoom.id == LiveSession.room_id)
        .where(LiveSession.status == SessionStatus.LIVE)
        .order_by(LiveSession.started_at.desc())
        .limit(limit)
    ).all()
    return [session_out(s, r) for s, r in rows]


def room_sessions(session: Session, principal: Principal, room_id: int) -> list[SessionOut]:
    room = own_room(session, principal, room_id)
    rows = session.scalars(
        select(LiveSession).where(LiveSession.room_id == room.id).order_by(LiveSession.id.desc())
    )
    return [session_out(r, room) for r in rows]


def anchor_creator_id(room: LiveRoom) -> int | None:
    """Orders from a creator's room record the creator; a shop's own broadcast has none."""
    return room.owner_id if room.shop_id is None else None


def require_state(row: LiveSession, allowed: set[SessionStatus], action: str) -> None:
    if row.status not in allowed:
        raise errors.SESSION_STATE(status=row.status.value, action=action)


def set_cover(
    session: Session, principal: Principal, session_id: int, key: str
) -> tuple[SessionOut, str | None]:
    row, room = own_session(session, principal, session_id)
    old = row.cover_key
    row.cover_key = key
    session.flush()
    return session_out(row, room), old


def cover_key(session: Session, session_id: int) -> str | None:
    row, _ = load_session(session, session_id)
    return row.cover_key

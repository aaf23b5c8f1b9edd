"""The live domain's public face: rooms, sessions, the live cart, flash sales, comments, reports.

Other domains and the routes use these functions. Split by use case: ``rooms`` (rooms, sessions,
stream keys, media callbacks), ``cart`` (小黄车 and 讲解中), ``flash`` (秒杀), ``report`` (复盘).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.live import flash
from laotie.live.cart import add as add_to_cart
from laotie.live.cart import pin, pinned_item
from laotie.live.cart import remove as remove_from_cart
from laotie.live.cart import reorder as reorder_cart
from laotie.live.cart import view as cart_view
from laotie.live.flash import FlashPurchase, prepare_buy, session_sales
from laotie.live.flash import create as create_flash_sale
from laotie.live.intent import intent_by_product, session_intent
from laotie.live.models import CommentStatus, LiveComment
from laotie.live.report import session_report
from laotie.live.rooms import (
    cover_key,
    create_session,
    live_now,
    load_session,
    my_rooms,
    open_room,
    own_session,
    room_sessions,
    rotate_key,
    session_out,
    set_cover,
    start_by_key,
)
from laotie.live.rooms import end as _end
from laotie.live.rooms import end_by_name as _end_by_name
from laotie.live.schemas import CommentOut, SessionOut
from laotie.live.showcase import first_broadcasts, on_air_cards, session_cards, session_ids_after

__all__ = [
    "FlashPurchase",
    "add_to_cart",
    "block_comment",
    "cart_view",
    "cover_key",
    "create_flash_sale",
    "create_session",
    "end_session",
    "first_broadcasts",
    "get_session",
    "intent_by_product",
    "live_now",
    "media_publish_done",
    "my_comments",
    "my_rooms",
    "my_session",
    "on_air_cards",
    "open_room",
    "pin",
    "pinned_item",
    "prepare_buy",
    "remove_from_cart",
    "reorder_cart",
    "room_sessions",
    "rotate_key",
    "session_cards",
    "session_ids_after",
    "session_intent",
    "session_report",
    "session_sales",
    "set_cover",
    "start_by_key",
]


def get_session(session: Session, session_id: int) -> SessionOut:
    row, room = load_session(session, session_id)
    return session_out(row, room)


def my_session(session: Session, principal: Principal, session_id: int) -> SessionOut:
    """A session of the caller's own room (NOT_LIVE_ROOM_OWNER otherwise)."""
    row, room = own_session(session, principal, session_id)
    return session_out(row, room)


def end_session(session: Session, principal: Principal, session_id: int) -> SessionOut:
    """The anchor ends the broadcast (whether or not the media server noticed)."""
    row, room = own_session(session, principal, session_id)
    if _end(session, row, room):
        flash.close_all(session, row.id)
    return session_out(row, room)


def media_publish_done(session: Session, name: str) -> int | None:
    """The stream stopped: end its session and close its flash sales. The session id, if one ended."""
    session_id = _end_by_name(session, name)
    if session_id is not None:
        flash.close_all(session, session_id)
    return session_id


def my_comments(session: Session, principal: Principal, session_id: int, limit: int = 50) -> list[CommentOut]:
    """The caller's own comments in a session, blocked ones included (only their author sees those)."""
    load_session(session, session_id)
    rows = session.scalars(
        select(LiveComment)
        .where(LiveComment.session_id == session_id, LiveComment.user_id == principal.user_id)
        .order_by(LiveComment.id.desc())
        .limit(limit)
    )
    return [
        CommentOut(
            id=r.id,
            user_id=r.user_id,
            text=r.text,
            blocked=r.status == CommentStatus.BLOCKED,
            at=r.created_at,
        )
        for r in rows
    ]


def comment_shown(session: Session, comment_id: int) -> bool:
    """Whether a live comment with this id is shown to the room (what a viewer may report)."""
    row = session.get(LiveComment, comment_id)
    return row is not None and row.status != CommentStatus.BLOCKED


def block_comment(session: Session, comment_id: int) -> bool:
    """A live comment governance removed: kept, shown only to its author; False if already blocked or gone."""
    row = session.get(LiveComment, comment_id)
    if row is None or row.status == CommentStatus.BLOCKED:
        return False
    row.status = CommentStatus.BLOCKED
    session.flush()
    return True

"""Stored live comments read back: what a viewer sees of the chat when entering a room."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.errors import AppError
from laotie.live.models import CommentStatus, LiveComment

RECENT_COMMENTS = 30


def _nick(session: Session, user_id: int, known: dict[int, str]) -> str:
    if user_id not in known:
        try:
            known[user_id] = accounts.get_user_out(session, user_id).nickname or f"老铁{user_id}"
        except AppError:  # an author who no longer exists still said it
            known[user_id] = "老铁"
    return known[user_id]


def recent_comments(session: Session, session_id: int, limit: int = RECENT_COMMENTS) -> list[dict[str, Any]]:
    """The last ``limit`` shown comments of a session, oldest first, shaped like the live ``comment``
    messages. Blocked ones are left out for everyone, their authors too: the author saw theirs when
    sending it, and a history that differs per viewer is not worth its cost here. Comments of the
    last second or so may not be stored yet (the hub writes about once a second)."""
    rows = session.scalars(
        select(LiveComment)
        .where(LiveComment.session_id == session_id, LiveComment.status == CommentStatus.SHOWN)
        .order_by(LiveComment.id.desc())
        .limit(limit)
    ).all()
    known: dict[int, str] = {}
    return [
        {
            "type": "comment",
            "id": f"db-{row.id}",
            "user_id": row.user_id,
            "nick": _nick(session, row.user_id, known),
            "text": row.text,
            "ts": row.created_at.timestamp(),
        }
        for row in reversed(rows)
    ]

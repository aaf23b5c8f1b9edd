"""Follows and live-start events for social tests."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.events import emit
from laotie.events.live import LiveSessionStarted
from laotie.social.models import Follow, Notification


def live_started(
    session: Session,
    session_id: int,
    anchor_user_id: int,
    shop_id: int | None = None,
    title: str = "今晚上新",
) -> str:
    """Emit ``LiveSessionStarted`` as the live domain does, committed."""
    event = LiveSessionStarted(
        session_id=session_id,
        room_id=session_id * 10,
        anchor_user_id=anchor_user_id,
        shop_id=shop_id,
        title=title,
    )
    event_id = emit(session, event)
    session.commit()
    return event_id


def social_counts(session: Session) -> dict[str, int]:
    return {
        "follows": session.scalar(select(func.count()).select_from(Follow)) or 0,
        "notifications": session.scalar(select(func.count()).select_from(Notification)) or 0,
    }

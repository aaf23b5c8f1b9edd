"""Follows and live-start events for social tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.events import emit
from laotie.social.models import Follow, Notification


def live_started(
    session: Session, session_id: int, anchor_user_id: int, shop_id: int | None = None, **extra: Any
) -> str:
    """Emit ``LiveSessionStarted`` as the live domain does, committed."""
    payload = {
        "session_id": session_id,
        "room_id": session_id * 10,
        "anchor_user_id": anchor_user_id,
        "shop_id": shop_id,
        "title": extra.pop("title", "今晚上新"),
        **extra,
    }
    event_id = emit(session, "LiveSessionStarted", payload)
    session.commit()
    return event_id


def social_counts(session: Session) -> dict[str, int]:
    return {
        "follows": session.scalar(select(func.count()).select_from(Follow)) or 0,
        "notifications": session.scalar(select(func.count()).select_from(Notification)) or 0,
    }

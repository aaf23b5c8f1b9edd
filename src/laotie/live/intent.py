"""Purchase intent in a live session (求讲解 signals): how many viewers asked how to buy, the price, a
size, the stock…, minute by minute, and about which product (the one pinned at the time).

Comments carry the moderation classifier's intent flag (set inline by the hub, stored in batches about
once a second); blocked comments are left out (the anchor never sees them).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.live.models import CommentStatus, LiveComment, LiveSession
from laotie.live.rooms import own_session
from laotie.live.schemas import IntentComment, IntentOut
from laotie.moderation import service as moderation

MAX_MINUTES = 24 * 60
RECENT = 10


def _window(row: LiveSession) -> tuple[datetime, int]:
    start = row.started_at or row.scheduled_at
    end = row.ended_at or clock.now()
    minutes = min(MAX_MINUTES, max(1, int((end - start).total_seconds() // 60) + 1))
    return start, minutes


def timeline(session: Session, row: LiveSession) -> tuple[int, list[int]]:
    """(total, per-minute counts) of a session's shown intent comments."""
    start, minutes = _window(row)
    per_minute = [0] * minutes
    times = session.scalars(
        select(LiveComment.created_at).where(
            LiveComment.session_id == row.id,
            LiveComment.intent.is_(True),
            LiveComment.status == CommentStatus.SHOWN,
        )
    ).all()
    for at in times:
        minute = int((at - start).total_seconds() // 60)
        if 0 <= minute < minutes:
            per_minute[minute] += 1
    return len(times), per_minute


def session_intent(session: Session, principal: Principal, session_id: int) -> IntentOut:
    """For the anchor's console: counts, per minute, per pinned product, and the latest questions."""
    row, _ = own_session(session, principal, session_id)
    start, _ = _window(row)
    total, per_minute = timeline(session, row)
    shown = (
        LiveComment.session_id == row.id,
        LiveComment.intent.is_(True),
        LiveComment.status == CommentStatus.SHOWN,
    )
    by_product = dict(
        session.execute(
            select(LiveComment.product_id, func.count())
            .where(*shown, LiveComment.product_id.is_not(None))
            .group_by(LiveComment.product_id)
        ).all()
    )
    latest = session.scalars(select(LiveComment).where(*shown).order_by(LiveComment.id.desc()).limit(RECENT))
    recent = [
        IntentComment(
            text=c.text,
            minute=max(0, int((c.created_at - start).total_seconds() // 60)),
            product_id=c.product_id,
            reasons=[r for r in moderation.classify(c.text).reasons if r.startswith("intent_")],
        )
        for c in latest
    ]
    return IntentOut(
        session_id=row.id,
        total=total,
        per_minute=per_minute,
        by_product={int(k): int(v) for k, v in by_product.items() if k is not None},
        recent=recent,
    )


def intent_by_product(session: Session, product_ids: list[int]) -> dict[int, int]:
    """Shown intent comments said in any live session while each product was pinned."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(LiveComment.product_id, func.count())
        .where(
            LiveComment.product_id.in_(product_ids),
            LiveComment.intent.is_(True),
            LiveComment.status == CommentStatus.SHOWN,
        )
        .group_by(LiveComment.product_id)
    ).all()
    return Counter({int(p): int(n) for p, n in rows if p is not None})

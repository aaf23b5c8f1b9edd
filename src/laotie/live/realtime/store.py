"""What the hub writes and reads, in batches, from a worker thread (never on the event loop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.live.models import FlashSale, LiveCartItem, LiveComment, LiveSession, LiveViewer
from laotie.moderation import service as moderation


@dataclass
class Pending:
    """Everything a process's hub has to persist since its last flush."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    viewers: dict[tuple[int, str], tuple[int | None, datetime]] = field(default_factory=dict)
    likes: dict[int, int] = field(default_factory=dict)
    peaks: dict[int, int] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.comments or self.viewers or self.likes or self.peaks)


def _new_viewers(
    session: Session, wanted: dict[tuple[int, str], tuple[int | None, datetime]]
) -> list[dict[str, Any]]:
    by_session: dict[int, set[str]] = {}
    for session_id, key in wanted:
        by_session.setdefault(session_id, set()).add(key)
    known: set[tuple[int, str]] = set()
    for session_id, keys in by_session.items():
        rows = session.execute(
            select(LiveViewer.viewer_key).where(
                LiveViewer.session_id == session_id, LiveViewer.viewer_key.in_(keys)
            )
        )
        known.update((session_id, k) for (k,) in rows)
    return [
        {"session_id": s, "viewer_key": k, "user_id": user_id, "first_seen_at": at}
        for (s, k), (user_id, at) in sorted(wanted.items(), key=lambda kv: kv[0])
        if (s, k) not in known
    ]


def _insert_viewers(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(LiveViewer).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(LiveViewer).on_conflict_do_nothing(), rows)


def comment_row(
    session_id: int, user_id: int, text: str, verdict: moderation.Verdict, at: datetime
) -> dict[str, Any]:
    """A comment as ``flush`` writes it; a blocked one carries its verdict (stored as a hit)."""
    return {
        "session_id": session_id,
        "user_id": user_id,
        "text": text,
        "status": "blocked" if verdict.blocked else "shown",
        "reason": ",".join(verdict.blocking_reasons)[:40],
        "intent": verdict.purchase_intent,
        "created_at": at,
        "verdict": verdict if verdict.blocked else None,
    }


def _pinned_products(session: Session, session_ids: set[int]) -> dict[int, int]:
    rows = session.execute(
        select(LiveSession.id, LiveCartItem.product_id)
        .join(LiveCartItem, LiveCartItem.id == LiveSession.pinned_item_id)
        .where(LiveSession.id.in_(sorted(session_ids)))
    )
    return {session_id: product_id for session_id, product_id in rows}


def _insert_comments(session: Session, comments: list[dict[str, Any]]) -> None:
    """Shown comments in one statement; each blocked one on its own, with its moderation hit. Each
    comment notes the product pinned at the time (for the per-product purchase-intent counts)."""
    pinned = _pinned_products(session, {c["session_id"] for c in comments})
    shown: list[dict[str, Any]] = []
    for c in comments:
        row = {k: v for k, v in c.items() if k != "verdict"}
        row["product_id"] = pinned.get(row["session_id"])
        verdict = c.get("verdict")
        if verdict is None:
            shown.append(row)
            continue
        if shown:  # ids keep the order comments were said in
            session.execute(insert(LiveComment), shown)
            shown = []
        comment = LiveComment(**row)
        session.add(comment)
        session.flush()
        moderation.record_hit(
            session,
            verdict=verdict,
            text=comment.text,
            surface=moderation.Surface.LIVE_COMMENT,
            subject_kind="live_comment",
            subject_id=comment.id,
            author_id=comment.user_id,
        )
    if shown:
        session.execute(insert(LiveComment), shown)


def flush(db: Database, pending: Pending) -> None:
    """Write one batch: comments, first sightings of viewers, like counts, peak viewers."""
    if pending.empty():
        return
    with unit_of_work(db) as session:
        if pending.comments:
            _insert_comments(session, pending.comments)
        _insert_viewers(session, _new_viewers(session, pending.viewers))
        for session_id, n in sorted(pending.likes.items()):
            session.execute(
                update(LiveSession).where(LiveSession.id == session_id).values(likes=LiveSession.likes + n)
            )
        for session_id, peak in sorted(pending.peaks.items()):
            session.execute(
                update(LiveSession)
                .where(LiveSession.id == session_id)
                .values(
                    peak_viewers=case((LiveSession.peak_viewers < peak, peak), else_=LiveSession.peak_viewers)
                )
            )
        session.commit()


def flash_remaining(db: Database, flash_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(session id, remaining) of each flash sale."""
    with unit_of_work(db, read_only=True) as session:
        rows = session.execute(
            select(FlashSale.id, FlashSale.session_id, FlashSale.remaining).where(FlashSale.id.in_(flash_ids))
        )
        return {fid: (sid, remaining) for fid, sid, remaining in rows}

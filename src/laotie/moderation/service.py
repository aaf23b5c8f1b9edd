"""Moderation: one classifier for every text that enters the platform, and the record of what it blocked.

``classify(text) -> Verdict`` is pure and fast (no database): the live hub calls it inline for every
comment. ``screen(session, text=, surface=, subject_kind=, subject_id=, author_id=)`` classifies and,
when the text is blocked (diversion, prohibited goods, review bribery), stores a ``moderation_hit``
and emits the outbox events below, in the caller's transaction. Purchase intent alone is not a hit:
the surfaces keep their own intent flags (live and video comments) for the anchor's counts.

Events (payloads in ``laotie.moderation.events``):

- ``moderation.hit_recorded`` ``{"hit_id", "surface", "subject_kind", "subject_id", "author_id",
  "reasons", "diversion", "prohibited", "review_bribery"}`` for every stored hit;
- ``moderation.repeat_offender`` ``{"author_id", "surface", "hit_ids", "reasons", "threshold",
  "window_hours"}`` when an author's hits within ``moderation_repeat_window_hours`` (settings; hits
  staff marked wrong do not count) reach ``moderation_repeat_hits``: at most once per author per
  window, however many hits arrive at once;
- ``moderation.hit_reviewed`` ``{"hit_id", "status", "surface", "subject_kind", "subject_id",
  "author_id", "reviewer_id"}`` when staff confirm a hit or mark it wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import FORBIDDEN
from laotie.core.events import emit
from laotie.core.pagination import Page, PageParams
from laotie.events.moderation import HitRecorded, HitReviewed, RepeatOffender
from laotie.moderation import errors
from laotie.moderation.classifier import classify
from laotie.moderation.labelled import Example, line
from laotie.moderation.models import ModerationAuthor, ModerationHit
from laotie.moderation.schemas import HitOut, HitReviewIn, HitStatus, Span, SpanOut, Surface, Verdict
from laotie.settings import get_settings

__all__ = [
    "HitOut",
    "HitStatus",
    "Span",
    "Surface",
    "Verdict",
    "classify",
    "corrections",
    "get_hit",
    "hits",
    "hits_for",
    "record_hit",
    "review_hit",
    "screen",
]


def screen(
    session: Session,
    *,
    text: str,
    surface: Surface,
    subject_kind: str,
    subject_id: int,
    author_id: int | None,
) -> Verdict:
    """Classify ``text``; when it is blocked, store the hit and emit the events (see the module)."""
    verdict = classify(text)
    record_hit(
        session,
        verdict=verdict,
        text=text,
        surface=surface,
        subject_kind=subject_kind,
        subject_id=subject_id,
        author_id=author_id,
    )
    return verdict


def record_hit(
    session: Session,
    *,
    verdict: Verdict,
    text: str,
    surface: Surface,
    subject_kind: str,
    subject_id: int,
    author_id: int | None,
) -> int | None:
    """Store an already computed verdict (the live hub classifies inline and stores in batches).
    Returns the hit's id, or None when the verdict blocks nothing."""
    if not verdict.blocked:
        return None
    now = clock.now()
    reasons = list(verdict.blocking_reasons)
    hit = ModerationHit(
        surface=surface,
        subject_kind=subject_kind,
        subject_id=subject_id,
        author_id=author_id,
        text=text,
        reasons=reasons,
        spans=[s.as_dict() for s in verdict.spans if s.reason in reasons],
        diversion=verdict.diversion,
        purchase_intent=verdict.purchase_intent,
        status=HitStatus.OPEN,
        review_note="",
        created_at=now,
    )
    session.add(hit)
    session.flush()
    emit(
        session,
        HitRecorded(
            hit_id=hit.id,
            surface=surface.value,
            subject_kind=subject_kind,
            subject_id=subject_id,
            author_id=author_id,
            reasons=reasons,
            diversion=verdict.diversion,
            prohibited=verdict.prohibited,
            review_bribery=verdict.review_bribery,
        ),
    )
    if author_id is not None:
        _check_repeat(session, hit)
    return hit.id


def _check_repeat(session: Session, hit: ModerationHit) -> None:
    settings = get_settings()
    window = timedelta(hours=settings.moderation_repeat_window_hours)
    since = hit.created_at - window
    rows = session.execute(
        select(ModerationHit.id, ModerationHit.reasons)
        .where(
            ModerationHit.author_id == hit.author_id,
            ModerationHit.created_at >= since,
            ModerationHit.status != HitStatus.WRONG,
        )
        .order_by(ModerationHit.id)
    ).all()
    if len(rows) < settings.moderation_repeat_hits:
        return
    if not _take_report_slot(session, int(hit.author_id or 0), window):
        return
    emit(
        session,
        RepeatOffender(
            author_id=int(hit.author_id or 0),
            surface=hit.surface.value,
            hit_ids=[r.id for r in rows],
            reasons=sorted({reason for r in rows for reason in r.reasons}),
            threshold=settings.moderation_repeat_hits,
            window_hours=settings.moderation_repeat_window_hours,
        ),
    )


def _take_report_slot(session: Session, author_id: int, window: timedelta) -> bool:
    """True for exactly one caller per author per window (a conditional UPDATE, or the first INSERT)."""
    at = clock.now()
    moved = session.execute(
        update(ModerationAuthor)
        .where(ModerationAuthor.author_id == author_id, ModerationAuthor.reported_at <= at - window)
        .values(reported_at=at)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(ModerationAuthor, author_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.execute(insert(ModerationAuthor).values(author_id=author_id, reported_at=at))
        return True
    except IntegrityError:  # another hit of the same author reported first
        return False


def _out(row: ModerationHit) -> HitOut:
    return HitOut(
        id=row.id,
        surface=row.surface,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        author_id=row.author_id,
        text=row.text,
        reasons=list(row.reasons),
        spans=[SpanOut(**s) for s in row.spans],
        status=row.status,
        diversion=row.diversion,
        purchase_intent=row.purchase_intent,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        created_at=row.created_at,
    )


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise FORBIDDEN()


def hits(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    status: HitStatus | None = None,
    surface: Surface | None = None,
) -> Page[HitOut]:
    """Recorded hits for governance staff, newest first."""
    _require_staff(principal)
    where = []
    if status is not None:
        where.append(ModerationHit.status == status)
    if surface is not None:
        where.append(ModerationHit.surface == surface)
    total = session.scalar(select(func.count()).select_from(ModerationHit).where(*where)) or 0
    rows = session.scalars(
        select(ModerationHit)
        .where(*where)
        .order_by(ModerationHit.id.desc())
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return Page(items=[_out(r) for r in rows], total=total, limit=params.limit, offset=params.offset)


def hits_for(session: Session, subject_kind: str, subject_ids: list[int]) -> dict[int, list[HitOut]]:
    """Hits of some subjects (a reviewer's detail page), oldest first, by subject id."""
    if not subject_ids:
        return {}
    rows = session.scalars(
        select(ModerationHit)
        .where(ModerationHit.subject_kind == subject_kind, ModerationHit.subject_id.in_(subject_ids))
        .order_by(ModerationHit.id)
    ).all()
    found: dict[int, list[HitOut]] = {}
    for r in rows:
        found.setdefault(r.subject_id, []).append(_out(r))
    return found


def get_hit(session: Session, principal: Principal, hit_id: int) -> HitOut:
    _require_staff(principal)
    row = session.get(ModerationHit, hit_id)
    if row is None:
        raise errors.HIT_NOT_FOUND(hit_id=hit_id)
    return _out(row)


def review_hit(session: Session, principal: Principal, hit_id: int, body: HitReviewIn) -> HitOut:
    """open -> confirmed (the detector was right) or open -> wrong (a false positive); once only."""
    _require_staff(principal)
    if body.verdict not in (HitStatus.CONFIRMED, HitStatus.WRONG):
        raise errors.HIT_BAD_VERDICT()
    now = clock.now()
    moved = session.execute(
        update(ModerationHit)
        .where(ModerationHit.id == hit_id, ModerationHit.status == HitStatus.OPEN)
        .values(
            status=body.verdict, reviewed_by=principal.user_id, reviewed_at=now, review_note=body.note.strip()
        )
    )
    row = session.get(ModerationHit, hit_id, populate_existing=True)
    if row is None:
        raise errors.HIT_NOT_FOUND(hit_id=hit_id)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.HIT_ALREADY_REVIEWED(status=row.status.value)
    emit(
        session,
        HitReviewed(
            hit_id=row.id,
            status=row.status.value,
            surface=row.surface.value,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            author_id=row.author_id,
            reviewer_id=principal.user_id,
        ),
    )
    session.flush()
    return _out(row)


def corrections(session: Session, statuses: tuple[HitStatus, ...] = (HitStatus.WRONG,)) -> Iterator[str]:
    """Reviewed hits as labelled lines (the format of ``tests/data/moderation_labelled.tsv``).

    A hit marked wrong becomes a negative example (diversion 0); a confirmed one keeps the flag the
    detector gave. The intent flag is the detector's (staff review diversion, not intent)."""
    query = select(ModerationHit).where(ModerationHit.status.in_(statuses)).order_by(ModerationHit.id)
    for row in session.scalars(query).yield_per(500):
        diversion = row.diversion if row.status == HitStatus.CONFIRMED else False
        notes = f"correction hit {row.id} {row.surface.value} {row.status.value}"
        yield line(Example(row.text, diversion, row.purchase_intent, notes))

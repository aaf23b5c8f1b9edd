"""What others do with a review: buyers mark it helpful (once each) and report it; staff release what
screening held, remove a review (by hand, or when governance removes it as content), and decide
reports. A removed review stops counting: its removal is one conditional UPDATE, recorded in the
trail, and ``reviews.review_removed`` is emitted if it was counting."""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.reviews import errors, publishing
from laotie.reviews.models import (
    PartStatus,
    ReportStatus,
    Review,
    ReviewEvent,
    ReviewHelpful,
    ReviewReport,
    ReviewStatus,
)
from laotie.reviews.models import ReviewEventKind as E
from laotie.reviews.schemas import EventOut, HeldPart, HelpfulOut, ReportIn, ReportOut, ReviewOut
from laotie.reviews.views import load, many_out, one_out, record, reloaded


def _shown(session: Session, review_id: int) -> Review:
    review = load(session, review_id)
    if review is None or review.status != ReviewStatus.PUBLISHED:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    return review


def mark_helpful(session: Session, principal: Principal, review_id: int) -> HelpfulOut:
    review = _shown(session, review_id)
    if review.buyer_id == principal.user_id:
        raise errors.OWN_REVIEW(review_id=review_id)
    try:
        with session.begin_nested():
            session.execute(
                insert(ReviewHelpful).values(review_id=review_id, user_id=principal.user_id, at=clock.now())
            )
    except IntegrityError:
        raise errors.ALREADY_HELPFUL(review_id=review_id) from None
    session.execute(
        update(Review).where(Review.id == review_id).values(helpful_count=Review.helpful_count + 1)
    )
    count = session.scalar(select(Review.helpful_count).where(Review.id == review_id))
    return HelpfulOut(review_id=review_id, helpful_count=int(count or 0))


def report(session: Session, principal: Principal, review_id: int, body: ReportIn) -> int:
    review = _shown(session, review_id)
    if review.buyer_id == principal.user_id:
        raise errors.OWN_REVIEW(review_id=review_id)
    row = ReviewReport(
        review_id=review_id,
        reporter_id=principal.user_id,
        reason=body.reason,
        note=body.note.strip(),
        status=ReportStatus.OPEN,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise errors.ALREADY_REPORTED(review_id=review_id) from None
    record(session, review_id, E.REPORTED, principal.user_id, body.note, {"reason": body.reason.value})
    return row.id


def remove(
    session: Session,
    review_id: int,
    reason: str,
    actor_id: int | None,
    *,
    case_id: int | None = None,
    strict: bool = True,
) -> bool:
    """Take a review down. False (or ALREADY_REMOVED when ``strict``) if it was down already."""
    now = clock.now()
    counting = session.execute(
        update(Review)
        .where(Review.id == review_id, Review.status == ReviewStatus.PUBLISHED)
        .values(status=ReviewStatus.REMOVED, removed_at=now, removed_reason=reason[:200])
    ).rowcount  # type: ignore[attr-defined]
    held = 0
    if counting != 1:
        held = session.execute(
            update(Review)
            .where(Review.id == review_id, Review.status == ReviewStatus.HELD)
            .values(status=ReviewStatus.REMOVED, removed_at=now, removed_reason=reason[:200])
        ).rowcount  # type: ignore[attr-defined]
    if counting != 1 and held != 1:
        if load(session, review_id) is None:
            if strict:
                raise errors.REVIEW_NOT_FOUND(review_id=review_id)
            return False
        if strict:
            raise errors.ALREADY_REMOVED(review_id=review_id)
        return False
    data = {"case_id": case_id} if case_id is not None else {}
    record(session, review_id, E.REMOVED, actor_id, reason, {**data, "was_counting": counting == 1})
    session.execute(
        update(ReviewReport)
        .where(ReviewReport.review_id == review_id, ReviewReport.status == ReportStatus.OPEN)
        .values(status=ReportStatus.UPHELD, decided_at=now, decided_by=actor_id)
    )
    if counting == 1:
        review = reloaded(session, review_id)
        publishing.removed(session, review, reason)
    return True


_PART_COLUMNS = {
    HeldPart.FOLLOWUP: "followup_status",
    HeldPart.REPLY: "reply_status",
    HeldPart.FOLLOWUP_REPLY: "followup_reply_status",
}
RELEASED = {
    HeldPart.REVIEW: E.RELEASED_REVIEW,
    HeldPart.FOLLOWUP: E.RELEASED_FOLLOWUP,
    HeldPart.REPLY: E.RELEASED_REPLY,
    HeldPart.FOLLOWUP_REPLY: E.RELEASED_FOLLOWUP_REPLY,
}


def release(session: Session, principal: Principal, review_id: int, part: HeldPart) -> ReviewOut:
    """Staff found the held text acceptable: show it (and, for the review, let it count)."""
    if load(session, review_id) is None:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    if part == HeldPart.REVIEW:
        done = session.execute(
            update(Review)
            .where(Review.id == review_id, Review.status == ReviewStatus.HELD)
            .values(status=ReviewStatus.PUBLISHED, published_at=clock.now())
        )
    else:
        column = getattr(Review, _PART_COLUMNS[part])
        done = session.execute(
            update(Review)
            .where(Review.id == review_id, column == PartStatus.HELD)
            .values({column: PartStatus.PUBLISHED})
        )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.NOTHING_HELD(review_id=review_id, part=part.value)
    review = reloaded(session, review_id)
    record(session, review_id, RELEASED[part], principal.user_id)
    if part == HeldPart.REVIEW:
        publishing.published(session, review)
        if review.followup_status == PartStatus.PUBLISHED:
            publishing.followup_published(session, review)
    elif part == HeldPart.FOLLOWUP and review.status == ReviewStatus.PUBLISHED:
        publishing.followup_published(session, review)
    return one_out(session, review, full=True)


def dismiss_report(session: Session, principal: Principal, report_id: int) -> None:
    row = session.get(ReviewReport, report_id)
    if row is None:
        raise errors.REPORT_NOT_FOUND(report_id=report_id)
    done = session.execute(
        update(ReviewReport)
        .where(ReviewReport.id == report_id, ReviewReport.status == ReportStatus.OPEN)
        .values(status=ReportStatus.DISMISSED, decided_at=clock.now(), decided_by=principal.user_id)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.REPORT_DECIDED(report_id=report_id)
    record(session, row.review_id, E.REPORT_DISMISSED, principal.user_id, data={"report_id": report_id})


def open_reports(session: Session, params: PageParams) -> Page[ReportOut]:
    where = ReviewReport.status == ReportStatus.OPEN
    total = session.scalar(select(func.count()).select_from(ReviewReport).where(where))
    rows = session.scalars(
        select(ReviewReport).where(where).order_by(ReviewReport.id).limit(params.limit).offset(params.offset)
    ).all()
    reviews = {
        r.id: r for r in session.scalars(select(Review).where(Review.id.in_([x.review_id for x in rows])))
    }
    outs = {o.id: o for o in many_out(session, list(reviews.values()), full=True)}
    items = [
        ReportOut(
            id=r.id,
            review_id=r.review_id,
            reporter_id=r.reporter_id,
            reason=r.reason,
            note=r.note,
            status=r.status,
            created_at=r.created_at,
            review=outs[r.review_id],
        )
        for r in rows
        if r.review_id in outs
    ]
    return Page(items=items, total=int(total or 0), limit=params.limit, offset=params.offset)


def held(session: Session, params: PageParams) -> Page[ReviewOut]:
    """Reviews with anything held for staff, oldest first."""
    where = (
        (Review.status == ReviewStatus.HELD)
        | (Review.followup_status == PartStatus.HELD)
        | (Review.reply_status == PartStatus.HELD)
        | (Review.followup_reply_status == PartStatus.HELD)
    ) & (Review.status != ReviewStatus.REMOVED)
    total = session.scalar(select(func.count()).select_from(Review).where(where))
    rows = session.scalars(
        select(Review).where(where).order_by(Review.id).limit(params.limit).offset(params.offset)
    )
    return Page(
        items=many_out(session, rows.all(), full=True),
        total=int(total or 0),
        limit=params.limit,
        offset=params.offset,
    )


def trail(session: Session, review_id: int) -> list[EventOut]:
    if load(session, review_id) is None:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    rows = session.scalars(
        select(ReviewEvent).where(ReviewEvent.review_id == review_id).order_by(ReviewEvent.id)
    )
    return [EventOut(kind=r.kind, actor_id=r.actor_id, note=r.note, at=r.at) for r in rows]

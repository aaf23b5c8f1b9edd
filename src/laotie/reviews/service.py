"""Reviews' public face: what routers, pages, the demo and other (higher) domains call.

The pieces: ``writing`` (reviews, defaults, follow-ups, replies), ``staffing`` (helpful, reports,
staff release and removal), ``queries`` (lists and summaries), ``photos``. Events: ``events``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.orders import service as orders
from laotie.reviews.models import Review, ReviewDue, ReviewStatus
from laotie.reviews.photos import photo_file as photo_file
from laotie.reviews.photos import upload as upload_photo  # noqa: F401
from laotie.reviews.queries import get_review as get_review
from laotie.reviews.queries import my_reviews as my_reviews
from laotie.reviews.queries import pending_line as pending_line
from laotie.reviews.queries import pending_lines as pending_lines
from laotie.reviews.queries import product_reviews as product_reviews
from laotie.reviews.queries import reviewed_lines as reviewed_lines
from laotie.reviews.queries import shop_reviews as shop_reviews
from laotie.reviews.queries import summary as summary
from laotie.reviews.schemas import DEFAULT_AFTER_DAYS
from laotie.reviews.staffing import dismiss_report as dismiss_report
from laotie.reviews.staffing import held as held
from laotie.reviews.staffing import mark_helpful as mark_helpful
from laotie.reviews.staffing import open_reports as open_reports
from laotie.reviews.staffing import release as release
from laotie.reviews.staffing import remove as remove
from laotie.reviews.staffing import report as report
from laotie.reviews.staffing import trail as trail
from laotie.reviews.writing import add_followup as add_followup
from laotie.reviews.writing import create_default as create_default
from laotie.reviews.writing import create_review as create_review
from laotie.reviews.writing import reply as reply


def schedule_defaults(session: Session, order_id: int) -> int:
    """An order completed: each of its lines gets a 系统默认好评 ``DEFAULT_AFTER_DAYS`` after the
    completion unless its buyer reviews first. Safe to call twice (one row per line)."""
    lines = [line for line in orders.order_lines(session, order_id) if line.completed_at is not None]
    if not lines:
        return 0
    rows = [
        {
            "order_line_id": line.line_id,
            "order_id": line.order_id,
            "due_at": line.completed_at + timedelta(days=DEFAULT_AFTER_DAYS),  # type: ignore[operator]
        }
        for line in lines
    ]
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(insert(ReviewDue).values(rows).on_conflict_do_nothing(index_elements=["order_line_id"]))
    return len(rows)


def write_due_defaults(session: Session, limit: int = 200) -> int:
    """The job behind 系统默认好评: every line whose time has come gets its default review (or none, if
    its buyer wrote one or the order was refunded and closed). Each due row is taken by one
    conditional DELETE, so two runners never handle one line twice. Returns defaults written."""
    due = list(
        session.scalars(
            select(ReviewDue.order_line_id)
            .where(ReviewDue.due_at <= clock.now())
            .order_by(ReviewDue.due_at, ReviewDue.order_line_id)
            .limit(limit)
        )
    )
    written = 0
    for line_id in due:
        taken = session.execute(delete(ReviewDue).where(ReviewDue.order_line_id == line_id))
        if taken.rowcount == 1 and create_default(session, line_id):  # type: ignore[attr-defined]
            written += 1
    return written


def is_shown(session: Session, review_id: int) -> bool:
    """Whether a published review with this id exists (what anyone may see, and so report)."""
    found = session.scalar(
        select(Review.id).where(Review.id == review_id, Review.status == ReviewStatus.PUBLISHED)
    )
    return found is not None

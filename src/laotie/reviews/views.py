"""Rows as the API shows them, and the trail every change writes to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.reviews.models import PartStatus, Review, ReviewEvent, ReviewEventKind, ReviewPhoto, ReviewStatus
from laotie.reviews.schemas import PhotoOut, ReviewOut

PHOTO_URL = "/api/v1/reviews/photos/{id}"


def photo_out(row: ReviewPhoto) -> PhotoOut:
    url = PHOTO_URL.format(id=row.id)
    return PhotoOut(id=row.id, url=url, thumb_url=f"{url}?thumb=1", width=row.width, height=row.height)


def photos_of(session: Session, review_ids: Sequence[int]) -> dict[tuple[int, str], list[PhotoOut]]:
    """(review id, part) -> its photos in upload order, for a page of reviews in one query."""
    if not review_ids:
        return {}
    rows = session.scalars(
        select(ReviewPhoto)
        .where(ReviewPhoto.review_id.in_(list(review_ids)))
        .order_by(ReviewPhoto.review_id, ReviewPhoto.part, ReviewPhoto.position)
    )
    out: dict[tuple[int, str], list[PhotoOut]] = {}
    for row in rows:
        out.setdefault((int(row.review_id or 0), row.part), []).append(photo_out(row))
    return out


def _shown(status: PartStatus | None, text: str | None, full: bool) -> str | None:
    """A held follow-up or reply is shown only to those who see everything (its author, staff)."""
    return text if full or status == PartStatus.PUBLISHED else None


def review_out(
    review: Review, photos: dict[tuple[int, str], list[PhotoOut]], full: bool = False
) -> ReviewOut:
    """``full``: the author or staff, who also see what is held for review."""
    followup = _shown(review.followup_status, review.followup_text, full)
    return ReviewOut(
        id=review.id,
        order_line_id=review.order_line_id,
        order_id=review.order_id,
        product_id=review.product_id,
        shop_id=review.shop_id,
        sku_attrs=dict(review.sku_attrs or {}),
        title=review.title,
        product_stars=review.product_stars,
        service_stars=review.service_stars,
        logistics_stars=review.logistics_stars,
        text=review.text,
        display_name=review.display_name,
        anonymous=review.anonymous,
        is_default=review.is_default,
        status=review.status,
        tags=list(review.tags or []),
        photos=photos.get((review.id, "review"), []),
        helpful_count=review.helpful_count,
        created_at=review.created_at,
        published_at=review.published_at,
        reply_text=_shown(review.reply_status, review.reply_text, full),
        reply_status=review.reply_status,
        replied_at=review.replied_at,
        followup_text=followup,
        followup_status=review.followup_status,
        followup_at=review.followup_at if followup is not None else None,
        followup_photos=photos.get((review.id, "followup"), []) if followup is not None else [],
        followup_reply_text=_shown(review.followup_reply_status, review.followup_reply_text, full),
        followup_reply_status=review.followup_reply_status,
        followup_replied_at=review.followup_replied_at,
        removed_reason=review.removed_reason if review.status == ReviewStatus.REMOVED else "",
    )


def one_out(session: Session, review: Review, full: bool = False) -> ReviewOut:
    return review_out(review, photos_of(session, [review.id]), full)


def many_out(session: Session, reviews: Sequence[Review], full: bool = False) -> list[ReviewOut]:
    photos = photos_of(session, [r.id for r in reviews])
    return [review_out(r, photos, full) for r in reviews]


def record(
    session: Session,
    review_id: int,
    kind: ReviewEventKind,
    actor_id: int | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(ReviewEvent).values(
            review_id=review_id,
            kind=kind,
            actor_id=actor_id,
            note=note[:500],
            data=data or {},
            at=clock.now(),
        )
    )


def load(session: Session, review_id: int) -> Review | None:
    """The row as committed now (conditional UPDATEs elsewhere leave the identity map stale)."""
    return session.scalar(
        select(Review).where(Review.id == review_id).execution_options(populate_existing=True)
    )


def reloaded(session: Session, review_id: int) -> Review:
    """``load`` for a review known to exist (after an UPDATE of it in this transaction)."""
    review = load(session, review_id)
    assert review is not None
    return review

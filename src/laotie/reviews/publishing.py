"""The outbox events reviews emit (``laotie.events.reviews``), and the tag rows
the product page counts. Called in the writer's transaction, only when a review starts or stops
counting, so scores see each change once."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.events.reviews import FollowupPublished, ReviewPublished, ReviewRemoved
from laotie.reviews.models import Review, ReviewTag


def published(session: Session, review: Review) -> None:
    assert review.published_at is not None
    emit(
        session,
        ReviewPublished(
            review_id=review.id,
            order_id=review.order_id,
            order_line_id=review.order_line_id,
            product_id=review.product_id,
            sku_id=review.sku_id,
            shop_id=review.shop_id,
            category_id=review.category_id,
            buyer_id=review.buyer_id,
            creator_id=review.creator_id,
            product_stars=review.product_stars,
            service_stars=review.service_stars,
            logistics_stars=review.logistics_stars,
            is_default=review.is_default,
            has_photos=review.photo_count > 0,
            tags=list(review.tags or []),
            published_at=review.published_at.isoformat(),
        ),
    )


def followup_published(session: Session, review: Review) -> None:
    assert review.followup_at is not None
    emit(
        session,
        FollowupPublished(
            review_id=review.id,
            product_id=review.product_id,
            shop_id=review.shop_id,
            published_at=clock.now().isoformat(),
        ),
    )


def removed(session: Session, review: Review, reason: str) -> None:
    emit(
        session,
        ReviewRemoved(
            review_id=review.id,
            product_id=review.product_id,
            shop_id=review.shop_id,
            order_line_id=review.order_line_id,
            removed_at=(review.removed_at or clock.now()).isoformat(),
            reason=reason,
        ),
    )


def add_tags(session: Session, review: Review, tags: list[str]) -> None:
    """Tag rows for tags the review does not have yet; ``review.tags`` becomes the union."""
    have = list(review.tags or [])
    new = [t for t in tags if t not in have]
    if new:
        session.execute(
            insert(ReviewTag),
            [{"review_id": review.id, "product_id": review.product_id, "tag": t} for t in new],
        )
        review.tags = have + new

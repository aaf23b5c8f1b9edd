"""Reading reviews: a product's list (filters, newest or most helpful) and summary, the buyer's own
reviews and what waits for one (待评价), and the shop's 评价管理 list. Only shown reviews count in a
summary; a removed or held review is in none of the public figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.orders import service as orders
from laotie.reviews import errors
from laotie.reviews.models import PartStatus, Review, ReviewStatus, ReviewTag
from laotie.reviews.schemas import PendingLine, Rating, ReviewOut, Sort, Summary, TagCount
from laotie.reviews.views import load, many_out, one_out
from laotie.shops import service as shops

SHOWN = Review.status == ReviewStatus.PUBLISHED
GOOD_STARS = 4
TOP_TAGS = 12


def _rating(rating: Rating | None, stars: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if rating == Rating.GOOD:
        where.append(Review.product_stars >= GOOD_STARS)
    elif rating == Rating.MIDDLE:
        where.append(Review.product_stars == 3)
    elif rating == Rating.BAD:
        where.append(Review.product_stars <= 2)
    if stars is not None:
        where.append(Review.product_stars == stars)
    return where


def _page(
    session: Session,
    where: list[ColumnElement[bool]],
    order: list[Any],
    params: PageParams,
    full: bool = False,
) -> Page[ReviewOut]:
    total = session.scalar(select(func.count()).select_from(Review).where(*where)) or 0
    rows = session.scalars(
        select(Review).where(*where).order_by(*order).limit(params.limit).offset(params.offset)
    )
    return Page(
        items=many_out(session, rows.all(), full), total=total, limit=params.limit, offset=params.offset
    )


def product_reviews(
    session: Session,
    product_id: int,
    params: PageParams,
    *,
    sort: Sort = Sort.NEWEST,
    rating: Rating | None = None,
    stars: int | None = None,
    with_photos: bool = False,
    with_followup: bool = False,
    tag: str | None = None,
) -> Page[ReviewOut]:
    """Shown reviews of a product. Reviews with words come before the 系统默认好评 in either order."""
    where = [Review.product_id == product_id, SHOWN, *_rating(rating, stars)]
    if with_photos:
        where.append(Review.photo_count > 0)
    if with_followup:
        where.append(Review.followup_status == PartStatus.PUBLISHED)
    if tag:
        tagged = select(ReviewTag.review_id).where(ReviewTag.product_id == product_id, ReviewTag.tag == tag)
        where.append(Review.id.in_(tagged))
    first = [Review.is_default.asc()]
    if sort == Sort.HELPFUL:
        order = [*first, Review.helpful_count.desc(), Review.published_at.desc(), Review.id.desc()]
    else:
        order = [*first, Review.published_at.desc(), Review.id.desc()]
    return _page(session, where, order, params)


def summary(session: Session, product_id: int) -> Summary:
    """Counts and the mean of 描述相符 over shown reviews (defaults included: they count as five stars,
    as they do in the shop's scores); None, not 0 or 5, for a product nobody has reviewed."""
    where = (Review.product_id == product_id, SHOWN)
    per_star = dict(
        session.execute(
            select(Review.product_stars, func.count()).where(*where).group_by(Review.product_stars)
        ).all()
    )
    stars = {s: int(per_star.get(s, 0)) for s in range(5, 0, -1)}
    count = sum(stars.values())
    extra = session.execute(
        select(
            func.count().filter(Review.photo_count > 0),
            func.count().filter(Review.followup_status == PartStatus.PUBLISHED),
        ).where(*where)
    ).one()
    tag_rows = session.execute(
        select(ReviewTag.tag, func.count())
        .join(Review, Review.id == ReviewTag.review_id)
        .where(ReviewTag.product_id == product_id, SHOWN)
        .group_by(ReviewTag.tag)
        .order_by(func.count().desc(), ReviewTag.tag)
        .limit(TOP_TAGS)
    ).all()
    total_stars = sum(s * n for s, n in stars.items())
    good = stars[5] + stars[4]
    return Summary(
        product_id=product_id,
        count=count,
        average_stars=round(total_stars / count, 1) if count else None,
        good_rate=round(good / count, 4) if count else None,
        stars=stars,
        with_photos=int(extra[0] or 0),
        with_followup=int(extra[1] or 0),
        tags=[TagCount(tag=t, count=int(n)) for t, n in tag_rows],
    )


def get_review(session: Session, principal: Principal | None, review_id: int) -> ReviewOut:
    """A shown review for anyone; a held or removed one only for its author and staff."""
    review = load(session, review_id)
    if review is None:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    full = principal is not None and (principal.is_staff or principal.user_id == review.buyer_id)
    if review.status != ReviewStatus.PUBLISHED and not full:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    return one_out(session, review, full)


def my_reviews(session: Session, principal: Principal, params: PageParams) -> Page[ReviewOut]:
    """我的评价: everything the buyer wrote, held and removed ones included (with their state)."""
    where = [Review.buyer_id == principal.user_id]
    return _page(session, where, [Review.created_at.desc(), Review.id.desc()], params, full=True)


def pending_lines(session: Session, principal: Principal, limit: int = 100) -> list[PendingLine]:
    """待评价: lines that reached the buyer with no review yet, newest delivery first."""
    lines = orders.received_lines(session, principal.user_id, limit=limit * 2)
    reviewed = set(
        session.scalars(
            select(Review.order_line_id).where(Review.order_line_id.in_([line.line_id for line in lines]))
        )
    )
    return [
        PendingLine(
            order_line_id=line.line_id,
            order_id=line.order_id,
            product_id=line.product_id,
            title=line.title,
            sku_attrs=line.sku_attrs,
            delivered_at=line.delivered_at,
        )
        for line in lines
        if line.line_id not in reviewed
    ][:limit]


def pending_line(session: Session, principal: Principal, line_id: int) -> PendingLine:
    """One line the buyer may review now (the review form's header)."""
    line = orders.reviewable_line(session, line_id)
    if line is None or line.buyer_id != principal.user_id:
        raise errors.LINE_NOT_FOUND(order_line_id=line_id)
    if not line.received:
        raise errors.NOT_RECEIVED(order_line_id=line_id, status=line.status)
    if session.scalar(select(Review.id).where(Review.order_line_id == line_id)) is not None:
        raise errors.ALREADY_REVIEWED(order_line_id=line_id)
    return PendingLine(
        order_line_id=line.line_id,
        order_id=line.order_id,
        product_id=line.product_id,
        title=line.title,
        sku_attrs=line.sku_attrs,
        delivered_at=line.delivered_at,
    )


def reviewed_lines(session: Session, line_ids: list[int]) -> dict[int, int]:
    """order line id -> its review id, for the lines that have one (the order page's buttons)."""
    if not line_ids:
        return {}
    rows = session.execute(
        select(Review.order_line_id, Review.id).where(Review.order_line_id.in_(line_ids))
    ).all()
    return {int(line): int(review) for line, review in rows}


def shop_reviews(
    session: Session,
    principal: Principal,
    shop_id: int,
    params: PageParams,
    *,
    rating: Rating | None = None,
    stars: int | None = None,
    unreplied: bool = False,
) -> Page[ReviewOut]:
    """评价管理: the shop's shown reviews, newest first, for its members."""
    shops.require_shop_member(session, shop_id, principal)
    where = [Review.shop_id == shop_id, SHOWN, *_rating(rating, stars)]
    if unreplied:
        where += [Review.replied_at.is_(None), Review.is_default.is_(False)]
    return _page(session, where, [Review.published_at.desc(), Review.id.desc()], params)

"""Writing reviews: the buyer's review of a line, the 系统默认好评 when they write none, the follow-up
(追评), and the shop's one reply to each. Text is screened (``moderation``): diversion or bribery
(好评返现) holds the part for staff instead of showing it. Nothing here edits or deletes what a buyer
wrote; there is no such path for a merchant at all.

Two reviews of one line: the line's row is locked (PostgreSQL ``FOR UPDATE``) before the check for
an existing review, and ``reviews_review.order_line_id`` is unique behind it, so exactly one wins.
Follow-ups and replies are single conditional UPDATEs (``... WHERE followup_at IS NULL``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.moderation import service as moderation
from laotie.orders import service as orders
from laotie.reviews import errors, photos, publishing
from laotie.reviews.models import PartStatus, Review, ReviewDue, ReviewStatus
from laotie.reviews.models import ReviewEventKind as E
from laotie.reviews.schemas import FOLLOWUP_DAYS, FollowupIn, ReplyIn, ReviewIn, ReviewOut
from laotie.reviews.tags import extract_tags
from laotie.reviews.views import load, one_out, record, reloaded
from laotie.shops import service as shops

DEFAULT_NAME = "系统默认好评"


def masked(nickname: str) -> str:
    """匿名: 老铁小王 -> 老**王; a one-character name keeps only its first."""
    name = nickname.strip() or "买家"
    return f"{name[0]}**{name[-1]}" if len(name) > 1 else f"{name}**"


def _check_stars(*stars: int) -> None:
    if any(not 1 <= s <= 5 for s in stars):
        raise errors.STARS_INVALID(stars=list(stars))


def _screen(session: Session, text: str, review_id: int, author_id: int | None) -> bool:
    """True when the text may be shown; a blocked text is recorded as a moderation hit."""
    if not text:
        return True
    verdict = moderation.classify(text)
    moderation.record_hit(
        session,
        verdict=verdict,
        text=text,
        surface=moderation.Surface.REVIEW,
        subject_kind="review",
        subject_id=review_id,
        author_id=author_id,
    )
    return not verdict.blocked


def _insert(session: Session, review: Review) -> None:
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:  # the unique line: another review won meanwhile (the savepoint dropped ours)
        raise errors.ALREADY_REVIEWED(order_line_id=review.order_line_id) from None


def _existing(session: Session, line_id: int) -> int | None:
    return session.scalar(select(Review.id).where(Review.order_line_id == line_id))


def create_review(session: Session, principal: Principal, body: ReviewIn) -> ReviewOut:
    _check_stars(body.product_stars, body.service_stars, body.logistics_stars)
    photos.check_count(body.photo_ids)
    line = orders.reviewable_line(session, body.order_line_id, lock=True)
    if line is None or line.buyer_id != principal.user_id:
        raise errors.LINE_NOT_FOUND(order_line_id=body.order_line_id)
    if not line.received:
        raise errors.NOT_RECEIVED(order_line_id=line.line_id, status=line.status)
    if _existing(session, line.line_id) is not None:
        raise errors.ALREADY_REVIEWED(order_line_id=line.line_id)
    text = body.text.strip()
    nickname = accounts.get_user_out(session, principal.user_id).nickname
    now = clock.now()
    review = Review(
        order_line_id=line.line_id,
        order_id=line.order_id,
        buyer_id=line.buyer_id,
        shop_id=line.shop_id,
        product_id=line.product_id,
        sku_id=line.sku_id,
        category_id=line.category_id,
        creator_id=line.creator_id,
        title=line.title,
        sku_attrs=line.sku_attrs,
        product_stars=body.product_stars,
        service_stars=body.service_stars,
        logistics_stars=body.logistics_stars,
        text=text,
        anonymous=body.anonymous,
        display_name=(masked(nickname) if body.anonymous else nickname)[:40],
        is_default=False,
        status=ReviewStatus.PUBLISHED,
        tags=[],
        photo_count=0,
        helpful_count=0,
        created_at=now,
        published_at=now,
    )
    _insert(session, review)
    review.photo_count = photos.attach(session, principal.user_id, review.id, "review", body.photo_ids)
    publishing.add_tags(session, review, extract_tags(text))
    session.execute(delete(ReviewDue).where(ReviewDue.order_line_id == line.line_id))
    if _screen(session, text, review.id, principal.user_id):
        record(session, review.id, E.PUBLISHED, principal.user_id)
        session.flush()
        publishing.published(session, review)
    else:
        review.status = ReviewStatus.HELD
        review.published_at = None
        record(session, review.id, E.HELD, None, "内容涉嫌导流或好评返现，待平台审核")
    session.flush()
    return one_out(session, review, full=True)


def create_default(session: Session, line_id: int) -> bool:
    """系统默认好评 for a completed line nobody reviewed: five stars each, no text. False when the
    line is reviewed already or its order is not completed (refunded and closed, say)."""
    line = orders.reviewable_line(session, line_id, lock=True)
    if line is None or line.status != "completed" or _existing(session, line_id) is not None:
        return False
    nickname = accounts.get_user_out(session, line.buyer_id).nickname
    now = clock.now()
    review = Review(
        order_line_id=line.line_id,
        order_id=line.order_id,
        buyer_id=line.buyer_id,
        shop_id=line.shop_id,
        product_id=line.product_id,
        sku_id=line.sku_id,
        category_id=line.category_id,
        creator_id=line.creator_id,
        title=line.title,
        sku_attrs=line.sku_attrs,
        product_stars=5,
        service_stars=5,
        logistics_stars=5,
        text="",
        anonymous=True,
        display_name=masked(nickname),
        is_default=True,
        status=ReviewStatus.PUBLISHED,
        tags=[],
        photo_count=0,
        helpful_count=0,
        created_at=now,
        published_at=now,
    )
    try:
        _insert(session, review)
    except AppError:  # the buyer's own review won the race
        return False
    record(session, review.id, E.DEFAULT, None, f"{DEFAULT_NAME}：买家完成交易后未评价")
    publishing.published(session, review)
    return True


def _own(session: Session, principal: Principal, review_id: int) -> Review:
    review = load(session, review_id)
    if review is None or review.buyer_id != principal.user_id:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    if review.status == ReviewStatus.REMOVED:
        raise errors.ALREADY_REMOVED(review_id=review_id)
    return review


def add_followup(session: Session, principal: Principal, review_id: int, body: FollowupIn) -> ReviewOut:
    review = _own(session, principal, review_id)
    text = body.text.strip()
    if not text:
        raise errors.FOLLOWUP_EMPTY()
    if review.followup_at is not None:
        raise errors.FOLLOWUP_EXISTS(review_id=review_id)
    now = clock.now()
    if now > review.created_at + timedelta(days=FOLLOWUP_DAYS):
        raise errors.FOLLOWUP_TOO_LATE(days=FOLLOWUP_DAYS, review_id=review_id)
    photos.check_count(body.photo_ids)
    done = session.execute(
        update(Review)
        .where(Review.id == review_id, Review.followup_at.is_(None))
        .values(followup_text=text, followup_at=now, followup_status=PartStatus.PUBLISHED)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.FOLLOWUP_EXISTS(review_id=review_id)
    attached = photos.attach(session, principal.user_id, review_id, "followup", body.photo_ids)
    review = reloaded(session, review_id)
    publishing.add_tags(session, review, extract_tags(text))
    if _screen(session, text, review_id, principal.user_id):
        record(session, review_id, E.FOLLOWUP, principal.user_id, data={"photos": attached})
        if review.status == ReviewStatus.PUBLISHED:
            publishing.followup_published(session, review)
    else:
        review.followup_status = PartStatus.HELD
        record(session, review_id, E.FOLLOWUP_HELD, None, "追评涉嫌导流或好评返现，待平台审核")
    session.flush()
    return one_out(session, review, full=True)


def reply(
    session: Session, principal: Principal, review_id: int, body: ReplyIn, to_followup: bool = False
) -> ReviewOut:
    """The shop's one reply to the review, or (``to_followup``) to its follow-up."""
    review = load(session, review_id)
    if review is None or review.status != ReviewStatus.PUBLISHED:
        raise errors.REVIEW_NOT_FOUND(review_id=review_id)
    if shops.member_role(session, review.shop_id, principal.user_id) is None:
        raise errors.NOT_YOUR_SHOP(review_id=review_id)
    text = body.text.strip()
    if not text:
        raise errors.REPLY_EMPTY()
    if to_followup and review.followup_status != PartStatus.PUBLISHED:
        raise errors.NOTHING_TO_REPLY(review_id=review_id)
    now = clock.now()
    if to_followup:
        done = session.execute(
            update(Review)
            .where(Review.id == review_id, Review.followup_replied_at.is_(None))
            .values(
                followup_reply_text=text,
                followup_replied_at=now,
                followup_replied_by=principal.user_id,
                followup_reply_status=PartStatus.PUBLISHED,
            )
        )
    else:
        done = session.execute(
            update(Review)
            .where(Review.id == review_id, Review.replied_at.is_(None))
            .values(
                reply_text=text,
                replied_at=now,
                replied_by=principal.user_id,
                reply_status=PartStatus.PUBLISHED,
            )
        )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.ALREADY_REPLIED(review_id=review_id)
    kind, held = (E.FOLLOWUP_REPLY, E.FOLLOWUP_REPLY_HELD) if to_followup else (E.REPLY, E.REPLY_HELD)
    review = reloaded(session, review_id)
    if _screen(session, text, review_id, principal.user_id):
        record(session, review_id, kind, principal.user_id)
    else:
        if to_followup:
            review.followup_reply_status = PartStatus.HELD
        else:
            review.reply_status = PartStatus.HELD
        record(session, review_id, held, principal.user_id, "回复涉嫌导流或好评返现，待平台审核")
    session.flush()
    return one_out(session, review, full=True)

"""Views, likes (one per user) and comments (signed in, a length limit, a pace limit)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.moderation import service as moderation
from laotie.settings import get_settings
from laotie.video import errors
from laotie.video.feed import load_video
from laotie.video.models import Video, VideoComment, VideoCommentPace, VideoLike, VideoProduct, VideoStatus
from laotie.video.schemas import CommentOut, LikeOut, ViewsOut


def add_view(session: Session, video_id: int) -> ViewsOut:
    load_video(session, video_id)
    session.execute(update(Video).where(Video.id == video_id).values(views=Video.views + 1))
    return ViewsOut(views=session.scalar(select(Video.views).where(Video.id == video_id)) or 0)


def _likes(session: Session, video_id: int, liked: bool) -> LikeOut:
    return LikeOut(likes=session.scalar(select(Video.likes).where(Video.id == video_id)) or 0, liked=liked)


def like(session: Session, principal: Principal, video_id: int) -> LikeOut:
    """Idempotent: a second like changes nothing; the count moves only with the row."""
    load_video(session, video_id)
    if session.get(VideoLike, (video_id, principal.user_id)) is None:
        try:
            with session.begin_nested():
                session.add(VideoLike(video_id=video_id, user_id=principal.user_id, created_at=clock.now()))
            session.execute(update(Video).where(Video.id == video_id).values(likes=Video.likes + 1))
        except IntegrityError:
            pass  # the same like committed meanwhile
    return _likes(session, video_id, True)


def unlike(session: Session, principal: Principal, video_id: int) -> LikeOut:
    load_video(session, video_id)
    gone = session.execute(
        delete(VideoLike).where(VideoLike.video_id == video_id, VideoLike.user_id == principal.user_id)
    )
    if gone.rowcount:  # type: ignore[attr-defined]
        session.execute(update(Video).where(Video.id == video_id).values(likes=Video.likes - 1))
    return _likes(session, video_id, False)


def _out(row: VideoComment, nickname: str) -> CommentOut:
    return CommentOut(
        id=row.id, user_id=row.user_id, nickname=nickname, body=row.body, created_at=row.created_at
    )


def _keep_pace(session: Session, user_id: int, pace_seconds: int) -> datetime:
    """Take the user's comment slot, or refuse: one conditional UPDATE of the user's pace row (or its
    first INSERT), so of parallel comments exactly one passes in each interval, on PostgreSQL (the
    row lock makes the losers re-check and fail) and on SQLite (writers are serialised). Rolled back
    with the comment if anything after it fails. Returns the comment's time."""
    now = clock.now()
    moved = session.execute(
        update(VideoCommentPace)
        .where(
            VideoCommentPace.user_id == user_id,
            VideoCommentPace.last_at <= now - timedelta(seconds=pace_seconds),
        )
        .values(last_at=now)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        return now
    last = session.scalar(select(VideoCommentPace.last_at).where(VideoCommentPace.user_id == user_id))
    if last is None:
        # No pace row yet: comments from before the row existed still count.
        latest = session.scalar(
            select(func.max(VideoComment.created_at)).where(VideoComment.user_id == user_id)
        )
        if latest is not None and now - latest < timedelta(seconds=pace_seconds):
            last = latest
    if last is None:
        try:
            with session.begin_nested():
                session.add(VideoCommentPace(user_id=user_id, last_at=now))
            return now
        except IntegrityError:  # the user's first comment, posted in parallel, got there first
            last = session.scalar(select(VideoCommentPace.last_at).where(VideoCommentPace.user_id == user_id))
    waited = (now - last).total_seconds() if last is not None else 0
    raise errors.COMMENT_TOO_FAST(retry_after=max(math.ceil(pace_seconds - waited), 1))


def comment(session: Session, principal: Principal, video_id: int, body: str) -> CommentOut:
    settings = get_settings()
    text = body.strip()
    if len(text) > settings.video_comment_max_chars:
        raise errors.COMMENT_TOO_LONG(limit=settings.video_comment_max_chars)
    load_video(session, video_id)
    now = _keep_pace(session, principal.user_id, settings.video_comment_interval_seconds)
    row = VideoComment(video_id=video_id, user_id=principal.user_id, body=text, created_at=now)
    session.add(row)
    session.flush()
    verdict = moderation.screen(
        session,
        text=text,
        surface=moderation.Surface.VIDEO_COMMENT,
        subject_kind="video_comment",
        subject_id=row.id,
        author_id=principal.user_id,
    )
    # A blocked comment is kept and shown only to its author, who is not told; it is not counted.
    row.hidden = verdict.blocked
    row.intent = verdict.purchase_intent
    if not verdict.blocked:
        session.execute(update(Video).where(Video.id == video_id).values(comments=Video.comments + 1))
    session.flush()
    return _out(row, accounts.get_user_out(session, principal.user_id).nickname)


def comments(
    session: Session, video_id: int, params: PageParams, viewer_id: int | None = None
) -> Page[CommentOut]:
    """Newest first; blocked comments only for their author (``viewer_id``)."""
    load_video(session, video_id, viewer_id)
    visible: ColumnElement[bool] = VideoComment.hidden.is_(False)
    if viewer_id is not None:
        visible = or_(visible, VideoComment.user_id == viewer_id)
    where = and_(VideoComment.video_id == video_id, visible)
    total = session.scalar(select(func.count(VideoComment.id)).where(where)) or 0
    rows = session.scalars(
        select(VideoComment)
        .where(where)
        .order_by(VideoComment.id.desc())
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    names = {u: accounts.get_user_out(session, u).nickname for u in {r.user_id for r in rows}}
    return Page(
        items=[_out(r, names[r.user_id]) for r in rows], total=total, limit=params.limit, offset=params.offset
    )


def intent_by_product(session: Session, product_ids: list[int]) -> dict[int, int]:
    """Purchase-intent comments (shown ones) on published videos that link each product."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(VideoProduct.product_id, func.count(VideoComment.id))
        .join(VideoComment, VideoComment.video_id == VideoProduct.video_id)
        .join(Video, Video.id == VideoProduct.video_id)
        .where(
            VideoProduct.product_id.in_(product_ids),
            VideoComment.intent.is_(True),
            VideoComment.hidden.is_(False),
            Video.status == VideoStatus.PUBLISHED,
        )
        .group_by(VideoProduct.product_id)
    ).all()
    return {int(p): int(n) for p, n in rows}


def comment_shown(session: Session, comment_id: int) -> bool:
    """Whether a comment with this id is shown to everyone (what a viewer may report)."""
    found = session.scalar(
        select(VideoComment.id).where(VideoComment.id == comment_id, VideoComment.hidden.is_(False))
    )
    return found is not None


def hide_comment(session: Session, comment_id: int) -> bool:
    """A comment governance removed: hidden from everyone but its author; False if already hidden or gone."""
    done = session.execute(
        update(VideoComment)
        .where(VideoComment.id == comment_id, VideoComment.hidden.is_(False))
        .values(hidden=True)
    ).rowcount  # type: ignore[attr-defined]
    return bool(done)

"""Views, likes (one per user) and comments (signed in, a length limit, a pace limit)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.settings import get_settings
from laotie.video import errors
from laotie.video.feed import load_video
from laotie.video.models import Video, VideoComment, VideoLike
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


def comment(session: Session, principal: Principal, video_id: int, body: str) -> CommentOut:
    settings = get_settings()
    text = body.strip()
    if len(text) > settings.video_comment_max_chars:
        raise errors.COMMENT_TOO_LONG(limit=settings.video_comment_max_chars)
    load_video(session, video_id)
    pace = settings.video_comment_interval_seconds
    last = session.scalar(
        select(func.max(VideoComment.created_at)).where(VideoComment.user_id == principal.user_id)
    )
    now = clock.now()
    if last is not None and now - last < timedelta(seconds=pace):
        wait = pace - int((now - last).total_seconds())
        raise errors.COMMENT_TOO_FAST(retry_after=max(wait, 1))
    row = VideoComment(video_id=video_id, user_id=principal.user_id, body=text, created_at=now)
    session.add(row)
    session.execute(update(Video).where(Video.id == video_id).values(comments=Video.comments + 1))
    session.flush()
    return _out(row, accounts.get_user_out(session, principal.user_id).nickname)


def comments(session: Session, video_id: int, params: PageParams) -> Page[CommentOut]:
    load_video(session, video_id)
    where = VideoComment.video_id == video_id
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

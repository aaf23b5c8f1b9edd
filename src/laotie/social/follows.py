"""Follow and unfollow a shop or an anchor; fan counts; who follows whom.

A follow is one row, unique per (follower, target): a duplicate is refused with ALREADY_FOLLOWING and
changes nothing, also when two requests race (the unique constraint decides). Unfollowing is
idempotent: unfollowing what one does not follow is not an error.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.pagination import Page, PageParams
from laotie.shops import service as shops
from laotie.social import errors
from laotie.social.models import Follow, TargetKind
from laotie.social.schemas import FanCountOut, FollowOut


def target_name(session: Session, kind: TargetKind, target_id: int) -> str:
    """The shop's or anchor's name; FOLLOW_TARGET_NOT_FOUND for what buyers may not see."""
    try:
        if kind == TargetKind.SHOP:
            return shops.shop_view(session, target_id, None).name
        user = accounts.get_user_out(session, target_id)
    except AppError:
        raise errors.FOLLOW_TARGET_NOT_FOUND(target_kind=kind.value, target_id=target_id) from None
    return user.nickname


def _is_self(session: Session, follower_id: int, kind: TargetKind, target_id: int) -> bool:
    if kind == TargetKind.USER:
        return follower_id == target_id
    return shops.member_role(session, target_id, follower_id) is not None


def follow(session: Session, principal: Principal, kind: TargetKind, target_id: int) -> FollowOut:
    kind = TargetKind(kind)
    name = target_name(session, kind, target_id)
    if _is_self(session, principal.user_id, kind, target_id):
        raise errors.FOLLOW_SELF()
    exists = session.scalar(
        select(Follow.id).where(
            Follow.follower_id == principal.user_id, Follow.target_kind == kind, Follow.target_id == target_id
        )
    )
    if exists is not None:
        raise errors.ALREADY_FOLLOWING(target_kind=kind.value, target_id=target_id)
    row = Follow(follower_id=principal.user_id, target_kind=kind, target_id=target_id, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same follow committed meanwhile
        raise errors.ALREADY_FOLLOWING(target_kind=kind.value, target_id=target_id) from None
    return FollowOut(target_kind=kind, target_id=target_id, target_name=name, created_at=row.created_at)


def unfollow(session: Session, principal: Principal, kind: TargetKind, target_id: int) -> bool:
    """True when a follow was removed."""
    done = session.execute(
        delete(Follow).where(
            Follow.follower_id == principal.user_id,
            Follow.target_kind == TargetKind(kind),
            Follow.target_id == target_id,
        )
    )
    session.flush()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def is_following(session: Session, user_id: int, kind: TargetKind, target_id: int) -> bool:
    return (
        session.scalar(
            select(Follow.id).where(
                Follow.follower_id == user_id, Follow.target_kind == kind, Follow.target_id == target_id
            )
        )
        is not None
    )


def fan_count(session: Session, kind: TargetKind, target_id: int) -> int:
    query = select(func.count(Follow.id)).where(Follow.target_kind == kind, Follow.target_id == target_id)
    return session.scalar(query) or 0


def fans(
    session: Session, kind: TargetKind, target_id: int, principal: Principal | None = None
) -> FanCountOut:
    kind = TargetKind(kind)
    target_name(session, kind, target_id)
    return FanCountOut(
        target_kind=kind,
        target_id=target_id,
        fans=fan_count(session, kind, target_id),
        following=principal is not None and is_following(session, principal.user_id, kind, target_id),
    )


def my_follows(session: Session, principal: Principal, params: PageParams) -> Page[FollowOut]:
    where = Follow.follower_id == principal.user_id
    total = session.scalar(select(func.count(Follow.id)).where(where)) or 0
    rows = session.scalars(
        select(Follow).where(where).order_by(Follow.id.desc()).limit(params.limit).offset(params.offset)
    ).all()
    items = []
    for row in rows:
        kind = TargetKind(row.target_kind)
        try:
            name = target_name(session, kind, row.target_id)
        except AppError:
            name = "已关闭" if kind == TargetKind.SHOP else "已注销"
        items.append(
            FollowOut(target_kind=kind, target_id=row.target_id, target_name=name, created_at=row.created_at)
        )
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


def new_followers_between(
    session: Session, target_kind: str, target_id: int, start: datetime, end: datetime
) -> int:
    """Follows of the target made in [start, end) and still standing (a live session's new fans)."""
    query = select(func.count(Follow.id)).where(
        Follow.target_kind == TargetKind(target_kind),
        Follow.target_id == target_id,
        Follow.created_at >= start,
        Follow.created_at < end,
    )
    return session.scalar(query) or 0


def followers_of(
    session: Session,
    targets: list[tuple[str, int]],
    after_user_id: int = 0,
    limit: int = 1000,
) -> list[int]:
    """User ids following any of ``targets`` (kind, id), each once, ascending, after ``after_user_id``:
    walk all of them page by page (the live socket pushes to these; the inbox fan-out uses it)."""
    if not targets:
        return []
    conditions = [
        (Follow.target_kind == TargetKind(kind)) & (Follow.target_id == target_id)
        for kind, target_id in targets
    ]
    rows = session.scalars(
        select(Follow.follower_id)
        .where(or_(*conditions), Follow.follower_id > after_user_id)
        .group_by(Follow.follower_id)
        .order_by(Follow.follower_id)
        .limit(limit)
    ).all()
    return list(rows)

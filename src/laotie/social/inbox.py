"""The inbox: notifications a user gets (a followed room went live), listed and marked read.

When a room goes live every follower of its anchor and of its shop gets one notification. A popular
anchor has many fans, so the fan-out walks them in batches of ``social_fanout_batch`` users, one
transaction each: the handler writes one batch and, when more remain, emits ``SocialFanOut`` with
where it stopped; that event's handler writes the next batch, and so on. Each step is delivered once
by the outbox, and ``(user_id, source_key)`` is unique, so a replayed step writes nothing twice.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.core.pagination import PageParams
from laotie.events.live import LiveSessionEvent
from laotie.events.social import SocialFanOut
from laotie.settings import get_settings
from laotie.social import errors
from laotie.social.follows import followers_of
from laotie.social.models import Notification, TargetKind
from laotie.social.schemas import InboxOut, NotificationOut


def _out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return session.scalar(query) or 0


def inbox(session: Session, principal: Principal, params: PageParams, unread_only: bool = False) -> InboxOut:
    where = [Notification.user_id == principal.user_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    rows = session.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.id.desc())
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return InboxOut(
        items=[_out(r) for r in rows],
        total=total,
        unread=unread_count(session, principal.user_id),
        limit=params.limit,
        offset=params.offset,
    )


def mark_read(session: Session, principal: Principal, notification_id: int) -> NotificationOut:
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise errors.NOTIFICATION_NOT_FOUND(notification_id=notification_id)
    if row.read_at is None:
        row.read_at = clock.now()
        session.flush()
    return _out(row)


def mark_all_read(session: Session, principal: Principal) -> int:
    done = session.execute(
        update(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    session.flush()
    return int(done.rowcount)  # type: ignore[attr-defined]


def _targets(live: LiveSessionEvent) -> list[tuple[str, int]]:
    targets: list[tuple[str, int]] = []
    if live.anchor_user_id:
        targets.append((TargetKind.USER.value, live.anchor_user_id))
    if live.shop_id:
        targets.append((TargetKind.SHOP.value, live.shop_id))
    return targets


def fan_out_live_started(session: Session, live: LiveSessionEvent, after_user_id: int = 0) -> int:
    """Write one batch of "went live" notifications to the followers of the anchor and the shop;
    emit the next step when more may remain. Returns how many notifications this batch wrote."""
    batch = get_settings().social_fanout_batch
    source_key = f"live:{live.session_id}"
    users = followers_of(session, _targets(live), after_user_id, batch)
    anchor = live.anchor_user_id or 0
    wanted = [u for u in users if u != anchor]
    already = (
        set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.source_key == source_key, Notification.user_id.in_(wanted)
                )
            ).all()
        )
        if wanted
        else set()
    )
    title = (live.title or "")[:60]
    now = clock.now()
    rows = [
        {
            "user_id": user_id,
            "kind": "live_started",
            "title": "你关注的直播间开播了",
            "body": f"{title}" if title else "快来看看吧",
            "link": f"/live/{live.room_id}" if live.room_id else "",
            "source_key": source_key,
            "created_at": now,
            "read_at": None,
        }
        for user_id in wanted
        if user_id not in already
    ]
    if rows:
        session.execute(insert(Notification), rows)
    if len(users) == batch:
        emit(
            session,
            SocialFanOut(
                session_id=live.session_id,
                room_id=live.room_id,
                anchor_user_id=live.anchor_user_id,
                shop_id=live.shop_id,
                title=live.title,
                after_user_id=users[-1],
            ),
        )
    session.flush()
    return len(rows)


def notify(
    session: Session, *, user_id: int, kind: str, title: str, body: str, link: str, source_key: str
) -> None:
    """One notification to one user (a report answered, a case decided); the same ``source_key``
    again writes nothing, so a retried handler or decision never notifies twice."""
    exists = session.scalar(
        select(Notification.id).where(Notification.user_id == user_id, Notification.source_key == source_key)
    )
    if exists is None:
        session.add(
            Notification(
                user_id=user_id,
                kind=kind[:30],
                title=title[:100],
                body=body[:300],
                link=link[:200],
                source_key=source_key[:80],
                created_at=clock.now(),
            )
        )
        session.flush()

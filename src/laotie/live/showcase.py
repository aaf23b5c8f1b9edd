"""What the marketplace's front page shows of live commerce: the rooms on air now (直播中), each with
its anchor's name and how many people have watched so far."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.live.models import LiveRoom, LiveSession, LiveViewer
from laotie.live.rooms import live_now, session_out
from laotie.live.schemas import LiveCard
from laotie.shops import service as shops


def _anchor_name(session: Session, anchor_user_id: int, shop_id: int | None) -> str:
    """A shop's own broadcast goes by the shop's name; a creator's by their nickname."""
    if shop_id is not None:
        return shops.get_shop(session, shop_id).name
    return accounts.get_user_out(session, anchor_user_id).nickname or f"老铁{anchor_user_id}"


def on_air_cards(session: Session, limit: int = 8) -> list[LiveCard]:
    """Sessions on air now, newest broadcast first. Viewers are the distinct people seen in the room
    so far (stored by the realtime hub), which every API process agrees on; the live count of open
    sockets is only known inside the processes that hold them."""
    sessions = live_now(session, limit)
    if not sessions:
        return []
    seen = dict(
        session.execute(
            select(LiveViewer.session_id, func.count())
            .where(LiveViewer.session_id.in_([s.id for s in sessions]))
            .group_by(LiveViewer.session_id)
        ).all()
    )
    return [
        LiveCard(
            session_id=s.id,
            title=s.title,
            anchor_name=_anchor_name(session, s.anchor_user_id, s.shop_id),
            shop_id=s.shop_id,
            cover_url=s.cover_url,
            viewers=int(seen.get(s.id, 0)),
            likes=s.likes,
            started_at=s.started_at,
        )
        for s in sessions
    ]


def _viewers(session: Session, session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(LiveViewer.session_id, func.count())
            .where(LiveViewer.session_id.in_(session_ids))
            .group_by(LiveViewer.session_id)
        ).all()
    )


def session_cards(session: Session, session_ids: list[int]) -> list[LiveCard]:
    """Cards for these sessions in any state (search indexes them), in id order."""
    if not session_ids:
        return []
    rows = session.execute(
        select(LiveSession, LiveRoom)
        .join(LiveRoom, LiveRoom.id == LiveSession.room_id)
        .where(LiveSession.id.in_(session_ids))
        .order_by(LiveSession.id)
    ).all()
    seen = _viewers(session, [s.id for s, _ in rows])
    cards = []
    for row, room in rows:
        out = session_out(row, room)
        cards.append(
            LiveCard(
                session_id=out.id,
                title=out.title,
                anchor_name=_anchor_name(session, out.anchor_user_id, out.shop_id),
                shop_id=out.shop_id,
                cover_url=out.cover_url,
                viewers=int(seen.get(out.id, 0)),
                likes=out.likes,
                started_at=out.started_at,
                status=out.status,
                anchor_user_id=out.anchor_user_id,
            )
        )
    return cards


def session_ids_after(session: Session, after_id: int, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(LiveSession.id).where(LiveSession.id > after_id).order_by(LiveSession.id).limit(limit)
        )
    )


def first_broadcasts(session: Session, shop_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each shop's first broadcast that went on air: shop id -> (session id, viewers) (首播)."""
    if not shop_ids:
        return {}
    firsts = session.execute(
        select(LiveRoom.shop_id, func.min(LiveSession.id))
        .join(LiveSession, LiveSession.room_id == LiveRoom.id)
        .where(LiveRoom.shop_id.in_(shop_ids), LiveSession.started_at.is_not(None))
        .group_by(LiveRoom.shop_id)
    ).all()
    seen = _viewers(session, [sid for _, sid in firsts])
    return {shop_id: (sid, int(seen.get(sid, 0))) for shop_id, sid in firsts if shop_id is not None}

"""What the marketplace's front page shows of live commerce: the rooms on air now (直播中), each with
its anchor's name and how many people have watched so far."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.live.models import LiveViewer
from laotie.live.rooms import live_now
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

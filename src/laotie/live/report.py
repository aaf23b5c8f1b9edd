"""The session report (直播复盘): audience, engagement and sales of one broadcast, after it ends."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.live.intent import timeline as intent_timeline
from laotie.live.models import CommentStatus, LiveComment, LiveViewer
from laotie.live.rooms import own_session
from laotie.live.schemas import ProductReport, SessionReport
from laotie.orders import service as orders
from laotie.social import service as social

MAX_TIMELINE_MINUTES = 24 * 60


def session_report(session: Session, principal: Principal, session_id: int) -> SessionReport:
    row, room = own_session(session, principal, session_id)
    start = row.started_at or row.scheduled_at
    end = row.ended_at or clock.now()
    viewers = int(session.scalar(select(func.count()).where(LiveViewer.session_id == row.id)) or 0)
    counts = dict(
        session.execute(
            select(LiveComment.status, func.count())
            .where(LiveComment.session_id == row.id)
            .group_by(LiveComment.status)
        ).all()
    )
    target_kind, target_id = ("shop", room.shop_id) if room.shop_id is not None else ("user", room.owner_id)
    followers = social.new_followers_between(session, target_kind, target_id, start, end)
    sold = orders.live_session_orders(session, row.id)
    paid = [o for o in sold if o.paid]
    products: dict[int, ProductReport] = {}
    for order in paid:
        for line in order.lines:
            p = products.setdefault(
                line.product_id,
                ProductReport(product_id=line.product_id, title=line.title, orders=0, units=0, gmv_fen=0),
            )
            p.orders += 1
            p.units += line.quantity
            p.gmv_fen += line.paid_fen
    buyers = len({o.buyer_id for o in paid})
    minutes = min(MAX_TIMELINE_MINUTES, max(1, int((end - start).total_seconds() // 60) + 1))
    timeline = [0] * minutes
    for order in sold:
        minute = int((order.created_at - start).total_seconds() // 60)
        if 0 <= minute < minutes:
            timeline[minute] += 1
    intent_total, intent_minutes = intent_timeline(session, row)
    return SessionReport(
        session_id=row.id,
        title=row.title,
        status=row.status,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_seconds=max(0, int((end - start).total_seconds())) if row.started_at else 0,
        unique_viewers=viewers,
        peak_viewers=row.peak_viewers,
        comments=int(counts.get(CommentStatus.SHOWN, 0)) + int(counts.get(CommentStatus.BLOCKED, 0)),
        blocked_comments=int(counts.get(CommentStatus.BLOCKED, 0)),
        likes=row.likes,
        new_followers=followers,
        orders=len(sold),
        paid_orders=len(paid),
        buyers=buyers,
        gmv_fen=sum(o.payable_fen for o in paid),
        conversion=round(buyers / viewers, 4) if viewers else 0.0,
        products=sorted(products.values(), key=lambda p: -p.gmv_fen),
        orders_timeline=timeline,
        intent_comments=intent_total,
        intent_timeline=intent_minutes,
    )

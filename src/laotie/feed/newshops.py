"""The new-merchant detector (新商识别): which shops are new, and which of them are promising.

A shop is new for ``new_shop_days`` after it opened. It is promising when any of its early signals
reaches the policy's threshold: its first broadcast's viewers (首播播放量), the impressions of its
first week (首周流量), or its GMV in its first ``early_gmv_days`` (短期GMV). New shops get the
policy's free exposure; promising ones get more. The evidence is kept per shop (``feed_new_shop``)
from events (first broadcast ended, order paid) and the impression log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.feed.models import NewShop
from laotie.feed.policy import TrafficPolicy
from laotie.live import service as live

REASONS = {
    "first_live": "首播观看人数达标",
    "first_week": "首周流量达标",
    "early_gmv": "开店初期成交达标",
}


@dataclass(frozen=True)
class NewShopStatus:
    new: bool
    promising: bool
    reason: str = ""  # a key of REASONS


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(NewShop.__table__)  # type: ignore[arg-type]


def track(session: Session, opened: dict[int, datetime]) -> None:
    """Start keeping evidence for these shops (shop id -> opened at); known ones are left as they are."""
    if not opened:
        return
    now = clock.now()
    rows = [
        {
            "shop_id": sid,
            "opened_at": at,
            "first_live_viewers": 0,
            "first_week_impressions": 0,
            "early_gmv_fen": 0,
            "promising_reason": "",
            "updated_at": now,
        }
        for sid, at in sorted(opened.items())
    ]
    session.execute(_insert(session).on_conflict_do_nothing(index_elements=["shop_id"]), rows)


def add_gmv(session: Session, by_shop: dict[int, int], window_days: int) -> None:
    """Orders of tracked shops were paid (shop id -> amount): count them while each shop is in its
    early window. One statement for all the shops (a run of paid orders comes from many)."""
    if not by_shop:
        return
    now = clock.now()
    amount = case(by_shop, value=NewShop.shop_id, else_=0)
    session.execute(
        update(NewShop)
        .where(NewShop.shop_id.in_(sorted(by_shop)), NewShop.opened_at >= now - timedelta(days=window_days))
        .values(early_gmv_fen=NewShop.early_gmv_fen + amount, updated_at=now)
    )


def add_impressions(session: Session, by_shop: dict[int, int], window_days: int) -> None:
    if not by_shop:
        return
    now = clock.now()
    for shop_id, n in sorted(by_shop.items()):
        session.execute(
            update(NewShop)
            .where(NewShop.shop_id == shop_id, NewShop.opened_at >= now - timedelta(days=window_days))
            .values(first_week_impressions=NewShop.first_week_impressions + n, updated_at=now)
        )


def record_first_broadcast(session: Session, shop_id: int) -> None:
    """After a broadcast ends: the shop's first broadcast and how many watched it."""
    first = live.first_broadcasts(session, [shop_id]).get(shop_id)
    if first is None:
        return
    session.execute(
        update(NewShop)
        .where(NewShop.shop_id == shop_id)
        .values(first_live_session_id=first[0], first_live_viewers=first[1], updated_at=clock.now())
    )


def _reason(row: NewShop, policy: TrafficPolicy) -> str:
    if row.first_live_viewers >= policy.first_live_viewers:
        return "first_live"
    if row.first_week_impressions >= policy.first_week_impressions:
        return "first_week"
    if row.early_gmv_fen >= policy.early_gmv_fen:
        return "early_gmv"
    return ""


def stamp_promising(session: Session, shop_ids: list[int], policy: TrafficPolicy) -> None:
    """Record when a tracked shop first looked promising (after its evidence grew)."""
    if not shop_ids:
        return
    for row in session.scalars(
        select(NewShop).where(NewShop.shop_id.in_(sorted(set(shop_ids))), NewShop.promising_at.is_(None))
    ):
        reason = _reason(row, policy)
        if reason:
            row.promising_at, row.promising_reason = clock.now(), reason


def evaluate(
    session: Session, opened: dict[int, datetime | None], policy: TrafficPolicy
) -> dict[int, NewShopStatus]:
    """New and promising, for these shops (shop id -> opened at), against ``policy``'s thresholds.
    Reads only: a feed request writes nothing."""
    since = clock.now() - timedelta(days=policy.new_shop_days)
    fresh = sorted(sid for sid, at in opened.items() if at is not None and at >= since)
    out = {sid: NewShopStatus(new=False, promising=False) for sid in opened}
    if not fresh:
        return out
    rows = {r.shop_id: r for r in session.scalars(select(NewShop).where(NewShop.shop_id.in_(fresh)))}
    for sid in fresh:
        row = rows.get(sid)
        reason = _reason(row, policy) if row is not None else ""
        out[sid] = NewShopStatus(new=True, promising=bool(reason), reason=reason)
    return out


def evidence(session: Session, shop_id: int) -> NewShop | None:
    return session.get(NewShop, shop_id)

"""扣分: points add up per shop per calendar year (Beijing has no DST; we count by UTC year, the year
the case was decided). Thresholds restrict the shop until the year ends: 12 no new listings, 24 no
live, 48 closure. A reversed case's points stop counting and the restrictions follow the new total."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.governance.models import Case, Penalty, PenaltyStatus, TrailAction, TrailObject
from laotie.governance.schemas import POINT_THRESHOLDS, PointsOut
from laotie.governance.trail import record
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SourceKind, SubjectKind

EFFECTS = {"no_new_listings": Effect.NO_NEW_LISTINGS, "no_live": Effect.NO_LIVE}
LABELS = {"no_new_listings": "禁止发布新商品", "no_live": "禁止直播", "closure": "清退店铺"}


def year_points(session: Session, shop_id: int, year: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Penalty.points), 0)).where(
            Penalty.shop_id == shop_id,
            Penalty.kind == "points",
            Penalty.points_year == year,
            Penalty.status != PenaltyStatus.REVERSED,
        )
    )
    return int(total or 0)


def _source(year: int) -> str:
    return f"points:{year}"


def sync_thresholds(session: Session, case: Case, actor_id: int | None) -> list[str]:
    """Bring the shop's point restrictions in line with its total; returns the thresholds reached.
    Reaching 48 returns "closure": the caller adds the closure to the case that crossed it."""
    if case.shop_id is None:
        return []
    now = clock.now()
    year = now.year
    total = year_points(session, case.shop_id, year)
    year_end = datetime(year + 1, 1, 1, tzinfo=UTC)
    reached = []
    for threshold, name in POINT_THRESHOLDS:
        active = total >= threshold
        if active:
            reached.append(name)
        if name not in EFFECTS:
            continue
        effect = EFFECTS[name]
        if active:
            before = standing.restriction(session, SubjectKind.SHOP, case.shop_id, effect)
            standing.impose(
                session,
                subject_kind=SubjectKind.SHOP,
                subject_id=case.shop_id,
                effect=effect,
                source_kind=SourceKind.PENALTY,
                source_key=_source(year),
                reason=f"{year}年累计扣分{total}分，达到{threshold}分：{LABELS[name]}至年底",
                ends_at=year_end,
            )
            if before is None or before.source_key != _source(year):
                record(
                    session,
                    TrailObject.CASE,
                    case.id,
                    TrailAction.POINTS_THRESHOLD,
                    actor_id,
                    f"累计{total}分：{LABELS[name]}",
                )
        else:
            lifted = standing.lift_source(
                session,
                source_key=_source(year),
                subject_kind=SubjectKind.SHOP,
                subject_id=case.shop_id,
                effect=effect,
                reason=f"扣分撤销后累计{total}分，低于{threshold}分",
            )
            if lifted:
                record(
                    session,
                    TrailObject.CASE,
                    case.id,
                    TrailAction.POINTS_THRESHOLD_LIFTED,
                    actor_id,
                    f"累计{total}分：解除{LABELS[name]}",
                )
    return reached


def shop_points(session: Session, shop_id: int) -> PointsOut:
    year = clock.now().year
    total = year_points(session, shop_id, year)
    return PointsOut(
        shop_id=shop_id,
        year=year,
        points=total,
        restrictions=[LABELS[name] for threshold, name in POINT_THRESHOLDS if total >= threshold],
    )

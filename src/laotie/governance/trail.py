"""The governance trail: one append-only line per step, with who did it, when and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.governance.models import TrailAction, TrailEntry, TrailObject
from laotie.governance.schemas import TrailOut


def record(
    session: Session,
    object_kind: TrailObject,
    object_id: int,
    action: TrailAction,
    actor_id: int | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        TrailEntry(
            object_kind=object_kind,
            object_id=object_id,
            action=action,
            actor_id=actor_id,
            reason=reason[:1000],
            data=data or {},
            at=clock.now(),
        )
    )


def _out(row: TrailEntry) -> TrailOut:
    return TrailOut(
        id=row.id,
        object_kind=row.object_kind,
        object_id=row.object_id,
        action=row.action,
        actor_id=row.actor_id,
        reason=row.reason,
        data=dict(row.data),
        at=row.at,
    )


def trail_of(session: Session, objects: list[tuple[TrailObject, int]]) -> list[TrailOut]:
    """The steps on several objects (a case, its report and its appeal) in the order they happened."""
    if not objects:
        return []
    conditions = [(TrailEntry.object_kind == k) & (TrailEntry.object_id == i) for k, i in objects]
    rows = session.scalars(select(TrailEntry).where(or_(*conditions)).order_by(TrailEntry.id)).all()
    return [_out(r) for r in rows]

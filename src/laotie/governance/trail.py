"""The governance trail: one append-only line per step, with who did it, when and why."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.transitions import Refuse, Transitions, move
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


S = TypeVar("S", bound=enum.StrEnum)


def move_recorded(
    session: Session,
    row: Any,
    to: S,
    table: Transitions[S],
    *,
    refuse: Refuse[S],
    object_kind: TrailObject,
    actor_id: int | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    action: TrailAction | None = None,
) -> S:
    """A governance decision: move ``row`` (a report, case or appeal) into ``to`` and write its trail
    line, ``action`` or by default the state entered. Returns the state it left."""

    def trail(_before: S, entered: S) -> None:
        record(session, object_kind, row.id, action or TrailAction(entered), actor_id, reason, data)

    return move(row, to, table, refuse=refuse, trail=trail)


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

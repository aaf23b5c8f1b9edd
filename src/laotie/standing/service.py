"""Consequences: the one place other domains learn what traffic, ads and rights a subject has.

Scores (a product below the product-score line, an over-priced product, a shop's band) and governance
penalties (a traffic cut, an ad ban, no live for N days) *write* here; feed, search, ads, live and
the catalog *read* here and never recompute a score themselves. Every consequence names its source
(``source_key``) and a reason a merchant can read, and lifts by itself: a score's when the score
recovers (``sync``), a penalty's at ``ends_at`` (``lift_expired``) or when an appeal succeeds.

Each consequence that comes into force or lifts is an event (``published``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.events.standing import ConsequenceImposed, ConsequenceLifted
from laotie.standing import errors
from laotie.standing.models import Consequence
from laotie.standing.schemas import (
    FULL_WEIGHT_BP,
    ConsequenceOut,
    Effect,
    SourceKind,
    SubjectKind,
    Traffic,
)

__all__ = [
    "ConsequenceOut",
    "Effect",
    "SourceKind",
    "SubjectKind",
    "Traffic",
    "history",
    "impose",
    "in_force",
    "lift",
    "lift_expired",
    "lift_source",
    "restriction",
    "sync",
    "traffic_for_products",
    "traffic_for_shops",
]


def _out(row: Consequence) -> ConsequenceOut:
    return ConsequenceOut(
        id=row.id,
        subject_kind=SubjectKind(row.subject_kind),
        subject_id=row.subject_id,
        effect=Effect(row.effect),
        value_bp=row.value_bp,
        source_kind=SourceKind(row.source_kind),
        source_key=row.source_key,
        reason=row.reason,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        lifted_at=row.lifted_at,
        lifted_reason=row.lifted_reason,
    )


def _event(session: Session, event: type[ConsequenceImposed | ConsequenceLifted], row: Consequence) -> None:
    emit(
        session,
        event(
            consequence_id=row.id,
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            effect=row.effect,
            source_key=row.source_key,
        ),
    )


def _in_force_now(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Consequence.lifted_at.is_(None),
        Consequence.starts_at <= now,
        or_(Consequence.ends_at.is_(None), Consequence.ends_at > now),
    ]


def _close(session: Session, row: Consequence, at: datetime, why: str) -> bool:
    """Lift one row if nobody lifted it meanwhile (two job runs, an appeal racing expiry)."""
    done = session.execute(
        update(Consequence)
        .where(Consequence.id == row.id, Consequence.lifted_at.is_(None))
        .values(lifted_at=at, lifted_reason=why)
    ).rowcount  # type: ignore[attr-defined]
    if done:
        session.refresh(row)
        _event(session, ConsequenceLifted, row)
    return bool(done)


def impose(
    session: Session,
    *,
    subject_kind: SubjectKind,
    subject_id: int,
    effect: Effect,
    source_kind: SourceKind,
    source_key: str,
    reason: str,
    ends_at: datetime | None = None,
    value_bp: int | None = None,
) -> ConsequenceOut:
    """Put a consequence in force. The same subject, effect and source again is a no-op (a retried
    decision, a score recomputed); a new weight replaces the old one so the history shows both."""
    now = clock.now()
    if (value_bp is not None) != (effect is Effect.TRAFFIC_WEIGHT):
        raise errors.BAD_CONSEQUENCE(why="流量权重必须且只能给出 value_bp")
    if value_bp is not None and not 0 <= value_bp <= 5 * FULL_WEIGHT_BP:
        raise errors.BAD_CONSEQUENCE(why="value_bp 超出范围")
    if ends_at is not None and ends_at <= now:
        raise errors.BAD_CONSEQUENCE(why="结束时间必须晚于现在")
    key = (
        Consequence.subject_kind == subject_kind,
        Consequence.subject_id == subject_id,
        Consequence.effect == effect,
        Consequence.source_key == source_key,
        Consequence.lifted_at.is_(None),
    )
    current = session.scalars(select(Consequence).where(*key).with_for_update()).one_or_none()
    if current is not None:
        expired = current.ends_at is not None and current.ends_at <= now
        if not expired and current.value_bp == value_bp:
            return _out(current)
        _close(session, current, min(now, current.ends_at or now), "到期解除" if expired else "权重变更")
    row = Consequence(
        subject_kind=subject_kind,
        subject_id=subject_id,
        effect=effect,
        value_bp=value_bp,
        source_kind=source_kind,
        source_key=source_key,
        reason=reason[:300],
        starts_at=now,
        ends_at=ends_at,
        lifted_reason="",
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another transaction imposed the same consequence first: theirs stands.
        return _out(session.scalars(select(Consequence).where(*key)).one())
    _event(session, ConsequenceImposed, row)
    return _out(row)


def lift(session: Session, consequence_id: int, reason: str) -> ConsequenceOut:
    row = session.get(Consequence, consequence_id)
    if row is None:
        raise errors.CONSEQUENCE_NOT_FOUND(consequence_id=consequence_id)
    if row.lifted_at is None:
        _close(session, row, clock.now(), reason[:200])
    return _out(row)


def lift_source(
    session: Session,
    *,
    source_key: str,
    reason: str,
    subject_kind: SubjectKind | None = None,
    subject_id: int | None = None,
    effect: Effect | None = None,
) -> list[ConsequenceOut]:
    """Lift every unlifted consequence from one source (an appeal won, a score recovered)."""
    query = select(Consequence).where(Consequence.source_key == source_key, Consequence.lifted_at.is_(None))
    if subject_kind is not None:
        query = query.where(Consequence.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(Consequence.subject_id == subject_id)
    if effect is not None:
        query = query.where(Consequence.effect == effect)
    lifted = []
    now = clock.now()
    for row in session.scalars(query.order_by(Consequence.id)).all():
        if _close(session, row, now, reason[:200]):
            lifted.append(_out(row))
    return lifted


def sync(
    session: Session,
    *,
    active: bool,
    subject_kind: SubjectKind,
    subject_id: int,
    effect: Effect,
    source_key: str,
    reason: str,
    recovered_reason: str = "评分已恢复",
    value_bp: int | None = None,
) -> ConsequenceOut | None:
    """For scores: make the consequence be in force exactly when ``active`` says it should."""
    if active:
        return impose(
            session,
            subject_kind=subject_kind,
            subject_id=subject_id,
            effect=effect,
            source_kind=SourceKind.SCORE,
            source_key=source_key,
            reason=reason,
            value_bp=value_bp,
        )
    lift_source(
        session,
        source_key=source_key,
        subject_kind=subject_kind,
        subject_id=subject_id,
        effect=effect,
        reason=recovered_reason,
    )
    return None


def lift_expired(session: Session, limit: int = 500) -> int:
    """Close penalties whose end has passed (readers already ignore them; this records the lift
    and announces it). Safe with several runners: each row is closed once."""
    now = clock.now()
    rows = session.scalars(
        select(Consequence)
        .where(Consequence.lifted_at.is_(None), Consequence.ends_at.is_not(None), Consequence.ends_at <= now)
        .order_by(Consequence.ends_at)
        .limit(limit)
    ).all()
    return sum(_close(session, row, row.ends_at or now, "到期自动解除") for row in rows)


def in_force(session: Session, subject_kind: SubjectKind, subject_ids: Iterable[int]) -> list[ConsequenceOut]:
    ids = sorted(set(subject_ids))
    if not ids:
        return []
    rows = session.scalars(
        select(Consequence)
        .where(
            Consequence.subject_kind == subject_kind,
            Consequence.subject_id.in_(ids),
            *_in_force_now(clock.now()),
        )
        .order_by(Consequence.id)
    ).all()
    return [_out(r) for r in rows]


def history(
    session: Session, subject_kind: SubjectKind, subject_id: int, limit: int = 100
) -> list[ConsequenceOut]:
    rows = session.scalars(
        select(Consequence)
        .where(Consequence.subject_kind == subject_kind, Consequence.subject_id == subject_id)
        .order_by(Consequence.id.desc())
        .limit(limit)
    ).all()
    return [_out(r) for r in rows]


def restriction(
    session: Session, subject_kind: SubjectKind, subject_id: int, effect: Effect
) -> ConsequenceOut | None:
    """The consequence that forbids ``effect`` to this subject now (e.g. NO_LIVE), or None."""
    return next((c for c in in_force(session, subject_kind, [subject_id]) if c.effect is effect), None)


def _combine(found: list[ConsequenceOut]) -> Traffic:
    if not found:
        return Traffic()
    weight = FULL_WEIGHT_BP
    for c in found:
        if c.effect is Effect.TRAFFIC_WEIGHT and c.value_bp is not None:
            weight = weight * c.value_bp // FULL_WEIGHT_BP
    effects = {c.effect for c in found}
    return Traffic(
        distributed=Effect.DISTRIBUTION_STOPPED not in effects,
        boosted=not effects & {Effect.NO_BOOST, Effect.DISTRIBUTION_STOPPED},
        advertisable=not effects & {Effect.NO_ADS, Effect.DISTRIBUTION_STOPPED},
        weight_bp=weight,
        because=tuple(found),
    )


def traffic_for_shops(session: Session, shop_ids: Iterable[int]) -> dict[int, Traffic]:
    by_shop: dict[int, list[ConsequenceOut]] = {sid: [] for sid in shop_ids}
    for c in in_force(session, SubjectKind.SHOP, by_shop):
        by_shop[c.subject_id].append(c)
    return {sid: _combine(found) for sid, found in by_shop.items()}


def traffic_for_products(session: Session, shop_of: Mapping[int, int]) -> dict[int, Traffic]:
    """``shop_of`` maps each product id to its shop id; a shop's consequences reach its products."""
    by_product: dict[int, list[ConsequenceOut]] = {pid: [] for pid in shop_of}
    for c in in_force(session, SubjectKind.PRODUCT, shop_of):
        by_product[c.subject_id].append(c)
    shops: dict[int, list[ConsequenceOut]] = {sid: [] for sid in shop_of.values()}
    for c in in_force(session, SubjectKind.SHOP, shops):
        shops[c.subject_id].append(c)
    return {pid: _combine(found + shops[shop_of[pid]]) for pid, found in by_product.items()}

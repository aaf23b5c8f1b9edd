"""A full rebuild from the kept inputs (``laotie scores rebuild``, the benchmark, a formula change).

The inputs (reviews, delivered lines, facts) are what the events said; the day counters are summed
from them again with one ``INSERT ... SELECT`` per kind of subject, then every subject is
recomputed in batches, each in its own transaction (a stopped rebuild leaves usable scores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, case, delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.scores import compute
from laotie.scores.aggregates import Kind
from laotie.scores.models import COUNTERS, Daily, FactInput, LineInput, PricePoint, ReviewInput, ShopCategory

BATCH = 1_000
Progress = Callable[[str, int], None]

# Which counter each kind of fact adds to (its ``value``; answers and shipments carry ``extra`` too).
_FACT_COUNTER = {
    "quality_return": "quality_returns",
    "complaint": "complaints",
    "violation": "violation_points",
    "dispute_lost": "disputes_lost",
    "answer": "answered",
    "shipped": "shipped",
}


@dataclass(frozen=True)
class RebuildOut:
    daily_rows: int
    products: int
    shops: int
    users: int


def _zero(**given: Any) -> list[Any]:
    return [given.get(c, literal(0, Integer)).label(c) for c in COUNTERS]


def _review_rows(kind: str, column: Any) -> Select[Any]:
    r = ReviewInput
    return (
        select(
            literal(kind).label("subject_kind"),
            column.label("subject_id"),
            r.day.label("day"),
            *_zero(
                reviews=func.count(),
                description_sum=func.sum(r.product_stars),
                service_sum=func.sum(r.service_stars),
                logistics_sum=func.sum(r.logistics_stars),
                bad_reviews=func.sum(case((r.product_stars <= 2, 1), else_=0)),
            ),
        )
        .where(r.removed_at.is_(None), column.is_not(None))
        .group_by(column, r.day)
    )


def _line_rows(kind: str, column: Any) -> Select[Any]:
    day = LineInput.day
    return (
        select(
            literal(kind).label("subject_kind"),
            column.label("subject_id"),
            day.label("day"),
            *_zero(delivered=func.count()),
        )
        .where(column.is_not(None))
        .group_by(column, day)
    )


def _fact_rows(kind: str, column: Any) -> Select[Any]:
    x = FactInput
    sums = {
        counter: func.sum(case((x.kind == fact_kind, x.value), else_=0))
        for fact_kind, counter in _FACT_COUNTER.items()
    }
    sums["answer_minutes"] = func.sum(case((x.kind == "answer", x.extra), else_=0))
    sums["shipped_late"] = func.sum(case((x.kind == "shipped", x.extra), else_=0))
    return (
        select(
            literal(kind).label("subject_kind"),
            column.label("subject_id"),
            x.day.label("day"),
            *_zero(**sums),
        )
        .where(x.reversed_at.is_(None), column.is_not(None))
        .group_by(column, x.day)
    )


def _fill_daily(session: Session) -> int:
    session.execute(delete(Daily))
    session.execute(delete(ShopCategory))
    parts = [
        _review_rows(Kind.PRODUCT, ReviewInput.product_id),
        _review_rows(Kind.SHOP, ReviewInput.shop_id),
        _review_rows(Kind.CATEGORY, ReviewInput.category_id),
        _review_rows(Kind.USER, ReviewInput.creator_id),
        _line_rows(Kind.PRODUCT, LineInput.product_id),
        _line_rows(Kind.SHOP, LineInput.shop_id),
        _line_rows(Kind.USER, LineInput.creator_id),
        _fact_rows(Kind.PRODUCT, FactInput.product_id),
        _fact_rows(Kind.SHOP, FactInput.shop_id),
        _fact_rows(Kind.USER, FactInput.user_id),
    ]
    u = union_all(*parts).subquery()
    merged = select(
        u.c.subject_kind, u.c.subject_id, u.c.day, *[func.sum(u.c[c]).label(c) for c in COUNTERS]
    ).group_by(u.c.subject_kind, u.c.subject_id, u.c.day)
    session.execute(insert(Daily).from_select(["subject_kind", "subject_id", "day", *COUNTERS], merged))
    r = ReviewInput
    session.execute(
        insert(ShopCategory).from_select(
            ["shop_id", "category_id", "reviews"],
            select(r.shop_id, r.category_id, func.count())
            .where(r.removed_at.is_(None))
            .group_by(r.shop_id, r.category_id),
        )
    )
    return session.scalar(select(func.count()).select_from(Daily)) or 0


def _ids(session: Session, kind: str) -> list[int]:
    ids = set(session.scalars(select(Daily.subject_id).where(Daily.subject_kind == kind).distinct()))
    if kind == Kind.PRODUCT:
        ids.update(session.scalars(select(PricePoint.product_id)))
    return sorted(ids)


def rebuild(db: Database, progress: Progress | None = None) -> RebuildOut:
    with unit_of_work(db) as session:
        daily = _fill_daily(session)
        session.commit()
    counts = {}
    cause = compute.Cause("rebuild")
    for kind in (Kind.PRODUCT, Kind.SHOP, Kind.USER):
        with unit_of_work(db, read_only=True) as session:
            ids = _ids(session, kind)
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            with unit_of_work(db) as session:
                if kind == Kind.PRODUCT:
                    compute.recompute_products(session, dict.fromkeys(batch, (None, None)), cause)
                elif kind == Kind.SHOP:
                    compute.recompute_shops(session, batch, cause)
                else:
                    compute.recompute_users(session, batch, cause)
                session.commit()
            if progress:
                progress(kind, start + len(batch))
        counts[kind] = len(ids)
    return RebuildOut(daily, counts[Kind.PRODUCT], counts[Kind.SHOP], counts[Kind.USER])

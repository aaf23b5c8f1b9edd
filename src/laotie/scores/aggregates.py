"""Per-day counters: bumped in place by one upsert per subject, summed over a window by one query.

``bump`` is ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` on both databases, so two
events for the same shop and day add up without either reading first (no lost update on
PostgreSQL, no read-modify-write on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from laotie.scores.models import COUNTERS, Daily, ShopCategory

_DAILY: Table = Daily.__table__  # type: ignore[assignment]
_SHOP_CAT: Table = ShopCategory.__table__  # type: ignore[assignment]


class Kind:
    PRODUCT = "product"
    SHOP = "shop"
    USER = "user"  # an anchor or creator
    CATEGORY = "category"


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


def bump(session: Session, subjects: Iterable[tuple[str, int]], day: date, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` (counter -> n, negative to take back) to each subject's row of ``day``."""
    deltas = {k: v for k, v in deltas.items() if v}
    rows = [
        {"subject_kind": kind, "subject_id": sid, "day": day, **dict.fromkeys(COUNTERS, 0), **deltas}
        for kind, sid in sorted(set(subjects))
    ]
    if not rows or not deltas:
        return
    stmt = _insert(session, _DAILY)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["subject_kind", "subject_id", "day"],
            set_={k: _DAILY.c[k] + stmt.excluded[k] for k in deltas},
        ),
        rows,
    )


def count_shop_category(session: Session, shop_id: int, category_id: int, n: int) -> None:
    stmt = _insert(session, _SHOP_CAT)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["shop_id", "category_id"], set_={"reviews": _SHOP_CAT.c.reviews + n}
        ),
        [{"shop_id": shop_id, "category_id": category_id, "reviews": n}],
    )


def main_category(session: Session, shop_id: int) -> int | None:
    return session.scalar(
        select(ShopCategory.category_id)
        .where(ShopCategory.shop_id == shop_id)
        .order_by(ShopCategory.reviews.desc(), ShopCategory.category_id)
        .limit(1)
    )


@dataclass
class Window:
    """A subject's counters summed over the long window (90 days) and the short one (30 days)."""

    long: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    short: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    first_day: date | None = None


def windows(
    session: Session, kind: str, ids: Iterable[int], today: date, long_days: int, short_days: int
) -> dict[int, Window]:
    """Each subject's sums: the days since ``today - long_days + 1`` and ``today - short_days + 1``."""
    wanted = sorted(set(ids))
    out = {sid: Window() for sid in wanted}
    if not wanted:
        return out
    since_long = today - timedelta(days=long_days - 1)
    since_short = today - timedelta(days=short_days - 1)
    cols = [_DAILY.c[c] for c in COUNTERS]
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        rows = session.execute(
            select(_DAILY.c.subject_id, _DAILY.c.day, *cols).where(
                _DAILY.c.subject_kind == kind,
                _DAILY.c.subject_id.in_(chunk) if len(chunk) > 1 else _DAILY.c.subject_id == chunk[0],
                _DAILY.c.day >= since_long,
                _DAILY.c.day <= today,
            )
        ).all()
        for row in rows:
            w = out[row[0]]
            values = row[2:]
            for name, v in zip(COUNTERS, values, strict=True):
                w.long[name] += v
                if row[1] >= since_short:
                    w.short[name] += v
            if w.first_day is None or row[1] < w.first_day:
                w.first_day = row[1]
    return out


def expiring(session: Session, kind: str, first: date, last: date, limit: int) -> list[int]:
    """Subjects with counters between ``first`` and ``last`` (days leaving a window): their scores
    must move. A few days' span, so a day the job did not run is caught up the next."""
    return list(
        session.scalars(
            select(_DAILY.c.subject_id)
            .where(_DAILY.c.subject_kind == kind, _DAILY.c.day >= first, _DAILY.c.day <= last)
            .distinct()
            .order_by(_DAILY.c.subject_id)
            .limit(limit)
        )
    )


def total_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_DAILY)) or 0

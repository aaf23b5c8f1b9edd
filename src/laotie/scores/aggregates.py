"""Per-day counters: bumped in place by one upsert per subject, summed over a window by one query.

``bump`` is ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` on both databases, so two
events for the same shop and day add up without either reading first (no lost update on
PostgreSQL, no read-modify-write on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, case, func, select
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


def dialect_insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


# Statements are built once per dialect and shape and reused: building a SQLAlchemy statement costs
# more than running it on a small indexed range, and an event runs a dozen of them.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def cached(session: Session, key: tuple[Any, ...], build: Callable[[Session], Any]) -> Any:
    full = (session.get_bind().dialect.name, *key)
    stmt = _STATEMENTS.get(full)
    if stmt is None:
        stmt = _STATEMENTS[full] = build(session)
    return stmt


def bump(session: Session, subjects: Iterable[tuple[str, int]], day: date, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` (counter -> n, negative to take back) to each subject's row of ``day``."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    rows = [
        {"subject_kind": kind, "subject_id": sid, "day": day, **dict.fromkeys(COUNTERS, 0), **deltas}
        for kind, sid in sorted(set(subjects))
    ]
    if not rows:
        return
    keys = tuple(sorted(deltas))

    def build(s: Session) -> Any:
        stmt = dialect_insert(s, _DAILY)
        return stmt.on_conflict_do_update(
            index_elements=["subject_kind", "subject_id", "day"],
            set_={k: _DAILY.c[k] + stmt.excluded[k] for k in keys},
        )

    session.execute(cached(session, ("bump", keys), build), rows)


def count_shop_category(session: Session, shop_id: int, category_id: int, n: int) -> None:
    def build(s: Session) -> Any:
        stmt = dialect_insert(s, _SHOP_CAT)
        return stmt.on_conflict_do_update(
            index_elements=["shop_id", "category_id"],
            set_={"reviews": _SHOP_CAT.c.reviews + stmt.excluded.reviews},
        )

    session.execute(
        cached(session, ("shop_category",), build),
        [{"shop_id": shop_id, "category_id": category_id, "reviews": n}],
    )


_MAIN_CATEGORY = (
    select(ShopCategory.category_id)
    .where(ShopCategory.shop_id == bindparam("shop_id"))
    .order_by(ShopCategory.reviews.desc(), ShopCategory.category_id)
    .limit(1)
)


def main_category(session: Session, shop_id: int) -> int | None:
    return session.scalar(_MAIN_CATEGORY, {"shop_id": shop_id})


@dataclass
class Window:
    """A subject's counters summed over the long window (90 days) and the short one (30 days)."""

    long: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    short: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    first_day: date | None = None


# Both windows summed by the database, one row per subject, through the primary key's range.
_WINDOWS = (
    select(
        _DAILY.c.subject_id,
        *[func.sum(_DAILY.c[c]) for c in COUNTERS],
        *[func.sum(case((_DAILY.c.day >= bindparam("since_short"), _DAILY.c[c]), else_=0)) for c in COUNTERS],
        func.min(_DAILY.c.day),
    )
    .where(
        _DAILY.c.subject_kind == bindparam("kind"),
        _DAILY.c.subject_id.in_(bindparam("ids", expanding=True)),
        _DAILY.c.day >= bindparam("since_long"),
        _DAILY.c.day <= bindparam("today"),
    )
    .group_by(_DAILY.c.subject_id)
)
# The rebuild's form: a range of ids, one pass over the primary key.
_WINDOWS_RANGE_ONLY = (
    select(*_WINDOWS.selected_columns)
    .where(
        _DAILY.c.subject_kind == bindparam("kind"),
        _DAILY.c.subject_id >= bindparam("low"),
        _DAILY.c.subject_id <= bindparam("high"),
        _DAILY.c.day >= bindparam("since_long"),
        _DAILY.c.day <= bindparam("today"),
    )
    .group_by(_DAILY.c.subject_id)
)


def windows(
    session: Session, kind: str, ids: Iterable[int], today: date, long_days: int, short_days: int
) -> dict[int, Window]:
    """Each subject's sums: the days since ``today - long_days + 1`` and ``today - short_days + 1``."""
    wanted = sorted(set(ids))
    out = {sid: Window() for sid in wanted}
    if not wanted:
        return out
    params = {
        "kind": kind,
        "since_long": today - timedelta(days=long_days - 1),
        "since_short": today - timedelta(days=short_days - 1),
        "today": today,
    }
    n = len(COUNTERS)
    if len(wanted) > 500:  # a batch (the rebuild): one range scan instead of IN lists
        rows = session.execute(_WINDOWS_RANGE_ONLY, {**params, "low": wanted[0], "high": wanted[-1]})
    else:
        rows = session.execute(_WINDOWS, {**params, "ids": wanted})
    for row in rows:
        if row[0] not in out:
            continue
        first = row[-1]
        out[row[0]] = Window(
            long=dict(zip(COUNTERS, (int(v or 0) for v in row[1 : 1 + n]), strict=True)),
            short=dict(zip(COUNTERS, (int(v or 0) for v in row[1 + n : 1 + 2 * n]), strict=True)),
            first_day=date.fromisoformat(first) if isinstance(first, str) else first,
        )
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

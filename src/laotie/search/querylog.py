"""What buyers search, counted per day for hot searches and suggestions.

A search is a read (a GET, on a read-only session); it must not write. Each process keeps the
searches it served in memory and a periodic job adds them to ``search_query_stat`` with one upsert
per query (``flush``): at most a second or so is lost if the process dies, which hot searches can
bear. Several processes add to the same rows (``searches = searches + n``).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.search.models import SearchQueryStat

MAX_LOGGED_CHARS = 30


class QueryLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[date, str], list[int]] = {}

    def record(self, normalized: str, found: bool) -> None:
        query = normalized.strip()
        if not query or len(query) > MAX_LOGGED_CHARS:
            return
        key = (clock.now().date(), query)
        with self._lock:
            counts = self._counts.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += 1 if found else 0

    def pending(self) -> int:
        with self._lock:
            return len(self._counts)

    def flush(self, session: Session) -> int:
        """Add what was recorded to the daily counts; the caller commits."""
        with self._lock:
            taken, self._counts = self._counts, {}
        if not taken:
            return 0
        rows = [
            {"day": day, "query": query, "searches": n, "hits": hits}
            for (day, query), (n, hits) in sorted(taken.items())
        ]
        dialect = session.get_bind().dialect.name
        stmt: Any = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(SearchQueryStat.__table__)  # type: ignore[arg-type]
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "query"],
                set_={
                    "searches": SearchQueryStat.searches + stmt.excluded.searches,
                    "hits": SearchQueryStat.hits + stmt.excluded.hits,
                },
            ),
            rows,
        )
        return len(rows)


LOG = QueryLog()


def hot(session: Session, days: int, limit: int) -> list[tuple[str, int]]:
    """The most searched queries that found something, over the last ``days`` days."""
    since = clock.now().date() - timedelta(days=days - 1)
    total = func.sum(SearchQueryStat.searches)
    rows = session.execute(
        select(SearchQueryStat.query, total)
        .where(SearchQueryStat.day >= since)
        .group_by(SearchQueryStat.query)
        .having(func.sum(SearchQueryStat.hits) > 0)
        .order_by(total.desc(), SearchQueryStat.query)
        .limit(limit)
    ).all()
    return [(q, int(n)) for q, n in rows]


def starting_with(session: Session, prefix: str, days: int, limit: int) -> list[str]:
    """Queries others searched (and found something) that start with ``prefix``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    since = clock.now().date() - timedelta(days=days - 1)
    total = func.sum(SearchQueryStat.searches)
    rows = session.execute(
        select(SearchQueryStat.query)
        .where(SearchQueryStat.day >= since, SearchQueryStat.query.like(f"{escaped}%", escape="\\"))
        .group_by(SearchQueryStat.query)
        .having(func.sum(SearchQueryStat.hits) > 0)
        .order_by(total.desc(), SearchQueryStat.query)
        .limit(limit)
    ).all()
    return [r[0] for r in rows]

"""The impression log: every item shown, with its position, written in batches.

Showing a page is a read; the items it showed are handed to ``RECORDER`` (in memory, per process)
and a periodic job writes them with one multi-row INSERT per batch (``flush``), adds them to the
products' impression counters in the index (conversion reads them) and to new shops' first-week
traffic. A process that dies loses at most the last second of impressions; the simulator and the
tests flush when they choose.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.feed import newshops
from laotie.feed.models import Impression
from laotie.feed.policy import get_policy
from laotie.search import service as search

BATCH = 1000


@dataclass(frozen=True)
class Shown:
    surface: str
    item_kind: str
    item_id: int
    shop_id: int | None
    position: int
    viewer_id: int | None = None
    policy: str = ""


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[tuple[datetime, Shown]] = []

    def add(self, shown: list[Shown]) -> None:
        if not shown:
            return
        at = clock.now()
        with self._lock:
            self._rows.extend((at, s) for s in shown)

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def forget(self) -> None:
        """Drop what is pending unwritten (its database was emptied or replaced under it)."""
        with self._lock:
            self._rows = []

    def flush(self, session: Session) -> int:
        """Write what was shown since the last flush; the caller commits."""
        with self._lock:
            taken, self._rows = self._rows, []
        for start in range(0, len(taken), BATCH):
            write(session, taken[start : start + BATCH])
        return len(taken)


RECORDER = Recorder()


def write(session: Session, rows: list[tuple[datetime, Shown]]) -> None:
    if not rows:
        return
    session.execute(
        insert(Impression),
        [
            {
                "at": at,
                "viewer_id": s.viewer_id,
                "surface": s.surface,
                "item_kind": s.item_kind,
                "item_id": s.item_id,
                "shop_id": s.shop_id,
                "position": s.position,
                "policy": s.policy,
            }
            for at, s in rows
        ],
    )
    products = Counter(s.item_id for _, s in rows if s.item_kind == "product")
    search.count_impressions(session, dict(products))
    shops = Counter(s.shop_id for _, s in rows if s.shop_id is not None)
    policy = get_policy()
    newshops.add_impressions(session, dict(shops), policy.first_week_days)
    newshops.stamp_promising(session, list(shops), policy)


def exposure_by_shop(
    session: Session, since: datetime, surface: str | None = None, surfaces: tuple[str, ...] = ()
) -> dict[int, int]:
    """Impressions per shop since ``since``, on one ``surface`` or several ``surfaces`` (default
    every one): the feed's exposure balance reads its own surfaces, the simulator's Gini the home feed."""
    query = (
        select(Impression.shop_id, func.count())
        .where(Impression.at >= since, Impression.shop_id.is_not(None))
        .group_by(Impression.shop_id)
    )
    if surface is not None:
        query = query.where(Impression.surface == surface)
    if surfaces:
        query = query.where(Impression.surface.in_(surfaces))
    return {int(sid): int(n) for sid, n in session.execute(query).all() if sid is not None}

"""Each process's read replica of the product rows of ``search_doc``, in arrays.

The database stays the index and its one source of truth (ADR 0018); this is a copy of its product
rows that a search can filter, rank and count with a few vectorised operations instead of visiting
every matching row in SQL and Python (ADR 0027 has the figures). Every search first asks the
database, with one indexed lookup, whether anything changed since the copy was read; changed rows
(``indexed_at`` is stamped on every write) are read again and patched in, so a listing change is
searchable as soon as it is committed, in every API process.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.search.models import DocKind, SearchDoc

BANDS = ("excellent", "good", "fair", "poor")
_NONE = np.zeros(0, dtype=np.int32)
NO_TIME = -1.0e18
PATCH_AT_MOST = 2_000  # more changed rows than this (or a twentieth of the table): read it whole  # an absent timestamp, as epoch seconds: before anything
# Rows written within this margin before the last stamp are read again: two writers' clocks and
# transactions committing out of order must not hide a change.
SAFETY = timedelta(seconds=5)
_COLUMNS = (
    SearchDoc.id,
    SearchDoc.ref_id,
    SearchDoc.shop_id,
    SearchDoc.category_id,
    SearchDoc.price_fen,
    SearchDoc.original_price_fen,
    SearchDoc.sales,
    SearchDoc.rank_bp,
    SearchDoc.free_shipping,
    SearchDoc.pay_later,
    SearchDoc.in_stock,
    SearchDoc.visible,
    SearchDoc.distributed,
    SearchDoc.shop_band,
    SearchDoc.shop_opened_at,
    SearchDoc.published_at,
    SearchDoc.title,
    SearchDoc.subtitle,
    SearchDoc.cover_url,
    SearchDoc.title_tokens,
    SearchDoc.aux_tokens,
)
# The numeric columns, in ``_COLUMNS`` order, and their array types.
_NUMBERS = (
    ("doc_id", np.int64),
    ("ref_id", np.int64),
    ("shop_id", np.int64),
    ("category_id", np.int64),
    ("price", np.int64),
    ("original_price", np.int64),
    ("sales", np.int64),
    ("rank", np.int64),
    ("free_shipping", np.bool_),
    ("pay_later", np.bool_),
    ("in_stock", np.bool_),
    ("listed", np.bool_),
    ("band", np.int8),
    ("opened_at", np.float64),
    ("published_at", np.float64),
)


def _epoch(value: datetime | str | None) -> float:
    if value is None:
        return NO_TIME
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _numbers(row: Any) -> tuple[Any, ...]:
    band = BANDS.index(row[13]) if row[13] in BANDS else -1
    return (
        row[0], row[1], row[2] or 0, row[3] or 0, row[4], row[5], row[6], row[7],
        bool(row[8]), bool(row[9]), bool(row[10]), bool(row[11]) and bool(row[12]),
        band, _epoch(row[14]), _epoch(row[15]),
    )  # fmt: skip


@dataclass
class Postings:
    """Token -> positions of the documents holding it (the title's tokens and the rest's apart), as
    compact arrays; a changed document is patched token by token."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, token_strings: list[str]) -> Postings:
        lists: dict[str, list[int]] = defaultdict(list)
        for position, tokens in enumerate(token_strings):
            for token in set(tokens.split()):
                lists[token].append(position)
        return cls({token: np.array(found, dtype=np.int32) for token, found in lists.items()})

    def add(self, tokens: set[str], position: int) -> None:
        for token in tokens:
            found = self.arrays.get(token, _NONE)
            self.arrays[token] = np.append(found, np.int32(position)).astype(np.int32)

    def remove(self, tokens: set[str], position: int) -> None:
        for token in tokens:
            found = self.arrays.get(token)
            if found is not None:
                self.arrays[token] = found[found != position]

    def of(self, token: str) -> np.ndarray:
        return self.arrays.get(token, _NONE)


class ProductTable:
    """The product rows, column by column; position ``i`` of every array is one document."""

    def __init__(self) -> None:
        self.columns: dict[str, np.ndarray] = {name: np.zeros(0, kind) for name, kind in _NUMBERS}
        self.position: dict[int, int] = {}  # search_doc.id -> position
        self.texts: list[tuple[str, str, str | None]] = []  # title, shop name, cover
        self.tokens: list[tuple[str, str]] = []  # the title's tokens and the rest's, as stored
        self.title = Postings()
        self.aux = Postings()
        self.stamp: tuple[Any, Any, Any] | None = None
        self.since: datetime | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def load(self, rows: list[Any]) -> None:
        numbers = [_numbers(r) for r in rows]
        for i, (name, kind) in enumerate(_NUMBERS):
            self.columns[name] = np.array([n[i] for n in numbers], dtype=kind)
        self.position = {int(r[0]): i for i, r in enumerate(rows)}
        self.texts = [(r[16], r[17] or "", r[18]) for r in rows]
        self.tokens = [(r[19], r[20]) for r in rows]
        self.title = Postings.build([t for t, _ in self.tokens])
        self.aux = Postings.build([a for _, a in self.tokens])

    def patch(self, rows: list[Any]) -> None:
        """Rows read again: changed ones updated in place, new ones appended."""
        fresh = [r for r in rows if int(r[0]) not in self.position]
        for row in rows:
            at = self.position.get(int(row[0]))
            if at is None:
                continue
            for (name, _), value in zip(_NUMBERS, _numbers(row), strict=True):
                self.columns[name][at] = value
            self.texts[at] = (row[16], row[17] or "", row[18])
            self._retoken(at, row[19], row[20])
        if fresh:
            start = len(self.texts)
            numbers = [_numbers(r) for r in fresh]
            for i, (name, kind) in enumerate(_NUMBERS):
                added: np.ndarray = np.array([n[i] for n in numbers], dtype=kind)
                self.columns[name] = np.concatenate([self.columns[name], added])
            for offset, row in enumerate(fresh):
                self.position[int(row[0])] = start + offset
                self.texts.append((row[16], row[17] or "", row[18]))
                self.tokens.append(("", ""))
                self._retoken(start + offset, row[19], row[20])

    def _retoken(self, at: int, title_tokens: str, aux_tokens: str) -> None:
        old_title, old_aux = (set(t.split()) for t in self.tokens[at])
        title, aux = set(title_tokens.split()), set(aux_tokens.split())
        self.title.remove(old_title - title, at)
        self.title.add(title - old_title, at)
        self.aux.remove(old_aux - aux, at)
        self.aux.add(aux - old_aux, at)
        self.tokens[at] = (title_tokens, aux_tokens)


def _stamp(session: Session) -> tuple[Any, Any, Any]:
    """What changes when any row is written or the table is emptied: three indexed lookups, each its
    own subquery (one SELECT of three aggregates makes SQLite scan the table instead)."""
    row = session.execute(
        select(
            select(func.max(SearchDoc.indexed_at)).scalar_subquery(),
            select(func.min(SearchDoc.id)).scalar_subquery(),
            select(func.max(SearchDoc.id)).scalar_subquery(),
        )
    ).one()
    return (row[0], row[1], row[2])


def _product_rows(session: Session, since: datetime | None = None) -> list[Any]:
    query = select(*_COLUMNS).where(SearchDoc.kind == DocKind.PRODUCT)
    if since is not None:
        query = query.where(SearchDoc.indexed_at >= since)
    return list(session.execute(query).all())


class Replica:
    """One process's copy, shared by its threads; ``current`` brings it up to date first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, ProductTable] = {}  # per database URL (tests run two)

    def current(self, session: Session) -> ProductTable:
        bind = session.get_bind()
        key = str(bind.engine.url)
        stamp = _stamp(session)
        with self._lock:
            table = self._tables.setdefault(key, ProductTable())
            if stamp == table.stamp:
                return table
            last = table.stamp
            emptied = last is None or stamp[1] != last[1] or (stamp[2] or 0) < (last[2] or 0)
            went_back = last is not None and last[0] is not None and (stamp[0] is None or stamp[0] < last[0])
            changed = (
                []
                if emptied or went_back or table.since is None
                else _product_rows(session, table.since - SAFETY)
            )
            if (
                emptied
                or went_back
                or table.since is None
                or len(changed) > max(PATCH_AT_MOST, len(table) // 20)
            ):
                table.load(_product_rows(session))  # a reindex rewrites everything: read it whole
            else:
                table.patch(changed)
            table.stamp = stamp
            table.since = stamp[0] if stamp[0] is not None else None
            if table.since is None:
                table.since = datetime.min.replace(tzinfo=UTC) + SAFETY
            return table

    def forget(self) -> None:
        """Drop every copy. Production never deletes index rows (they are hidden), so changes are
        always seen; a table emptied under the replica (the tests do, between tests) must call this."""
        with self._lock:
            self._tables.clear()


REPLICA = Replica()

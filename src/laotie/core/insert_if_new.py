"""``INSERT ... ON CONFLICT (key) DO NOTHING [RETURNING ...]`` in the session's dialect, built once.

Both databases speak it, but SQLAlchemy spells it per dialect; and on a hot path building the
statement costs more than running it, so each shape (dialect, table, conflict key, returned columns)
is built on first use and kept. A row whose key is taken is skipped and returns nothing: the caller
tells a new row from a replay by what came back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_BUILT: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def insert_if_new(
    session: Session, table: Table, conflict: Sequence[str], returning: Sequence[Column[Any]] = ()
) -> Any:
    """The statement for ``table``, skipping rows whose ``conflict`` columns (a unique key) exist."""
    dialect = session.get_bind().dialect.name
    key = (dialect, table.name, tuple(conflict), tuple(c.key for c in returning))
    statement = _BUILT.get(key)
    if statement is None:
        make = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = make(table).on_conflict_do_nothing(index_elements=list(conflict))
        if returning:
            statement = statement.returning(*returning)
        _BUILT[key] = statement
    return statement

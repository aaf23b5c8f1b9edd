"""The unit of work: the request or job owns the transaction; services only flush."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from laotie.core.db import Database


@contextmanager
def unit_of_work(db: Database, *, read_only: bool = False) -> Iterator[Session]:
    """Yields a session; rolls back whatever was not committed when the block ends."""
    session = db.read_sessions() if read_only else db.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            session.rollback()
        session.close()

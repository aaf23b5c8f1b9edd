"""The unit of work: the request or job owns the transaction; services only flush.

A route's unit of work is committed in one place, ``core.http.route_session`` (the ``DbSession``
dependency), after the route returns; a route that must act only once its writes are durable (drop
a cached token, delete a replaced file, tell a live room) registers the action with ``after_commit``,
and one that must undo an outside effect if they never become durable (a file already stored)
registers it with ``if_not_committed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from laotie.core.db import Database

# Plain callables run in a worker thread; coroutine functions (a realtime publish) are awaited.
Action = Callable[[], object] | Callable[[], Awaitable[object]]

_AFTER_COMMIT = "laotie.after_commit"
_IF_NOT_COMMITTED = "laotie.if_not_committed"


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


def after_commit(session: Session, action: Action) -> None:
    """Run ``action`` once the route's unit of work has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def if_not_committed(session: Session, action: Action) -> None:
    """Run ``action`` if the route's unit of work ends without committing (an error, a failed commit)."""
    session.info.setdefault(_IF_NOT_COMMITTED, []).append(action)


def take_actions(session: Session, *, committed: bool) -> list[Action]:
    """The actions due now that the unit of work committed (or did not); both lists are cleared."""
    done = session.info.pop(_AFTER_COMMIT, [])
    undone = session.info.pop(_IF_NOT_COMMITTED, [])
    return done if committed else undone

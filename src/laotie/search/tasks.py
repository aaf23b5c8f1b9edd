"""Periodic work of search: add the searches this process served to the daily counts (scheduled by
``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.search import querylog


def flush_query_log(session: Session) -> int:
    return querylog.LOG.flush(session)

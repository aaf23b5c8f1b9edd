"""Periodic work of search: add the searches this process served to the daily counts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.search import querylog


@jobs.every(2.0, name="search.flush_query_log")
def flush_query_log(session: Session) -> int:
    return querylog.LOG.flush(session)

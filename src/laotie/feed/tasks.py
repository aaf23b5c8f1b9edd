"""Periodic work of the feed: write the impressions this process logged (batched inserts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.feed.impressions import RECORDER


@jobs.every(1.0, name="feed.flush_impressions")
def flush_impressions(session: Session) -> int:
    return RECORDER.flush(session)

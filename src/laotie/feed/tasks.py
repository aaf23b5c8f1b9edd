"""Periodic work of the feed: write the impressions this process logged (batched inserts; scheduled by
``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.feed.impressions import RECORDER


def flush_impressions(session: Session) -> int:
    return RECORDER.flush(session)

"""Periodic work of reviews: the 系统默认好评 for completed lines nobody reviewed within 15 days."""

from __future__ import annotations

from sqlalchemy.orm import Session

# Imported for its outbox subscriptions: the app loads this module, so the handlers come with it.
from laotie.core.jobs import jobs
from laotie.reviews import events as events
from laotie.reviews import service


@jobs.every(300, name="reviews.default_reviews")
def default_reviews(session: Session) -> None:
    service.write_due_defaults(session)

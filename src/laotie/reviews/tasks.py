"""Periodic work of reviews: the 系统默认好评 for completed lines nobody reviewed within 15 days
(scheduled by ``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.reviews import service


def default_reviews(session: Session) -> None:
    service.write_due_defaults(session)

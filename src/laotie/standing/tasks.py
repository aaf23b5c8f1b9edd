"""Periodic work of the standing domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.standing import service


@jobs.every(30, name="standing.lift_expired")
def lift_expired(session: Session) -> None:
    service.lift_expired(session)

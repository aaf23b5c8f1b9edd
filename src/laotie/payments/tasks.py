"""Periodic work of the payments domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.payments import service


@jobs.every(30, name="payments.expire_stale_intents")
def expire_stale_intents(session: Session) -> None:
    service.expire_stale_intents(session)

"""Periodic work of the settlement domain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.settings import get_settings
from laotie.settlement import service


@jobs.every(60, name="settlement.resend_stuck_withdrawals")
def resend_stuck_withdrawals(session: Session) -> None:
    service.resend_stuck(session, timedelta(seconds=get_settings().withdrawal_resend_after_seconds))

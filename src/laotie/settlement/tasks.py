"""Periodic work of the settlement domain (scheduled by ``events.register``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from laotie.settings import get_settings
from laotie.settlement import service


def resend_stuck_withdrawals(session: Session) -> None:
    service.resend_stuck(session, timedelta(seconds=get_settings().withdrawal_resend_after_seconds))

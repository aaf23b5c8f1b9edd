"""Periodic work of scores: move the windows as days pass, and the 价格力 of categories whose
prices moved (a product's own change is applied at once, by its event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.scores import service


@jobs.every(600, name="scores.roll_windows")
def roll_windows(session: Session) -> int:
    return service.roll_windows(session)


@jobs.every(1800, name="scores.refresh_prices")
def refresh_prices(session: Session) -> int:
    return service.refresh_prices(session)

"""Periodic work of scores: move the windows as days pass, and the 价格力 of categories whose
prices moved (a product's own change is applied at once, by its event); scheduled by
``events.register``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.scores import service


def roll_windows(session: Session) -> int:
    return service.roll_windows(session)


def refresh_prices(session: Session) -> int:
    return service.refresh_prices(session)

"""Periodic work of the logistics domain (scheduled by ``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.logistics import deadlines, shipments


def poll_tracking(session: Session) -> None:
    shipments.poll_tracking(session)


def record_late_shipments(session: Session) -> None:
    deadlines.record_late(session)

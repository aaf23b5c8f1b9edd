"""Periodic work of the logistics domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.logistics import deadlines, shipments


@jobs.every(60, name="logistics.poll_tracking")
def poll_tracking(session: Session) -> None:
    shipments.poll_tracking(session)


@jobs.every(300, name="logistics.record_late_shipments")
def record_late_shipments(session: Session) -> None:
    deadlines.record_late(session)

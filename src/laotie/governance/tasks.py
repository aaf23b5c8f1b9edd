"""Periodic work of governance: penalties end by themselves; closures take effect after the appeal window."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.governance import cases, penalties


@jobs.every(60, name="governance.end_penalties")
def end_penalties(session: Session) -> None:
    penalties.end_due(session)


@jobs.every(300, name="governance.finish_closures")
def finish_closures(session: Session) -> None:
    cases.finish_closures(session)

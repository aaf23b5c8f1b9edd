"""Periodic work of governance: penalties end by themselves; closures take effect after the appeal window
(scheduled by ``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.governance import cases, penalties


def end_penalties(session: Session) -> None:
    penalties.end_due(session)


def finish_closures(session: Session) -> None:
    cases.finish_closures(session)

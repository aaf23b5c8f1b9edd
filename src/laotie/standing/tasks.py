"""Periodic work of the standing domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.standing import service


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    jobs.add("standing.lift_expired", 30, lift_expired)


def lift_expired(session: Session) -> None:
    service.lift_expired(session)

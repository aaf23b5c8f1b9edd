"""Periodic work of the payments domain, and everything it registers (its job, its sandbox PSP)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.payments import service
from laotie.payments.gateway import PAYMENTS
from laotie.payments.sandbox.provider import SandboxProvider


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    jobs.add("payments.expire_stale_intents", 30, expire_stale_intents)
    providers.add(PAYMENTS, "sandbox", SandboxProvider)


def expire_stale_intents(session: Session) -> None:
    service.expire_stale_intents(session)

"""Periodic work of the payments domain, and everything it registers (its job, its sandbox PSP and
the thread that posts the sandbox's webhooks)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.payments import service
from laotie.payments.gateway import PAYMENTS, PAYMENTS_THREADS
from laotie.payments.sandbox.delivery import WebhookDeliverer
from laotie.payments.sandbox.provider import SandboxProvider
from laotie.settings import Settings


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    jobs.add("payments.expire_stale_intents", 30, expire_stale_intents)
    providers.add(PAYMENTS, "sandbox", SandboxProvider)
    providers.add(PAYMENTS_THREADS, "sandbox", start_sandbox_webhooks)


def start_sandbox_webhooks(db: Database, settings: Settings) -> Callable[[], None] | None:
    """The sandbox PSP posts its webhooks back to this platform, as a real PSP would; returns what
    stops it (None when the sandbox's delivery is switched off)."""
    if not settings.sandbox_webhook_delivery:
        return None
    deliverer = WebhookDeliverer(db)
    stop = deliverer.start_thread(
        settings.public_url, gather_seconds=settings.sandbox_webhook_gather_seconds
    )[1]

    def close() -> None:
        stop.set()
        deliverer.close()

    return close


def expire_stale_intents(session: Session) -> None:
    service.expire_stale_intents(session)

"""One wiring for every process: each domain's outbox handlers, periodic jobs, ledger checks and
providers, registered by that domain's own ``register(bus, jobs, providers)``.

The API process (``app.create_app``), ``laotie worker`` (``cli``), the demo's cashier and the
command-line tools all call ``wire()``; nothing registers itself by being imported. Registering is
idempotent per registry, so building many apps in one process (the tests) wires each registry once
in effect. A new domain adds its ``register`` to ``DOMAINS`` (in layer order, lowest first).
"""

from __future__ import annotations

from collections.abc import Callable

from laotie.aftersales import events as aftersales
from laotie.core.db import Database
from laotie.core.events import EventBus, bus
from laotie.core.jobs import JobRegistry, jobs
from laotie.core.providers import ProviderRegistry, providers
from laotie.feed import events as feed
from laotie.governance import events as governance
from laotie.live import events as live
from laotie.logistics import events as logistics

# Every model mapped before a handler's first query (relationships name other domains' models).
from laotie.migrations.registry import metadata  # noqa: F401
from laotie.orders import events as orders
from laotie.payments import tasks as payments
from laotie.payments.gateway import PAYMENTS_THREADS
from laotie.promotions import events as promotions
from laotie.reviews import events as reviews
from laotie.scores import events as scores
from laotie.search import events as search
from laotie.settings import Settings
from laotie.settlement import events as settlement
from laotie.social import events as social
from laotie.standing import tasks as standing
from laotie.video import events as video

Register = Callable[[EventBus, JobRegistry, ProviderRegistry], None]

DOMAINS: tuple[Register, ...] = (
    standing.register,
    promotions.register,
    logistics.register,
    payments.register,
    settlement.register,
    social.register,
    video.register,
    orders.register,
    aftersales.register,
    reviews.register,
    scores.register,
    live.register,
    governance.register,
    search.register,
    feed.register,
)


def wire(
    event_bus: EventBus = bus,
    job_registry: JobRegistry = jobs,
    provider_registry: ProviderRegistry = providers,
) -> None:
    """Register every domain's handlers, jobs and providers (again: nothing changes)."""
    for register in DOMAINS:
        register(event_bus, job_registry, provider_registry)


def start_provider_threads(db: Database, settings: Settings) -> list[Callable[[], None]]:
    """Start what the configured providers run beside the outbox worker (the sandbox PSP posts its
    webhooks); returns what stops each. The API process calls it when its worker is embedded,
    ``laotie worker`` always."""
    start = providers.find(PAYMENTS_THREADS, settings.payment_provider)
    stop = start(db, settings) if start is not None else None
    return [stop] if stop is not None else []

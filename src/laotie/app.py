"""The FastAPI application: every domain's router, error handlers and the embedded outbox worker."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles

from laotie import __version__, bootstrap
from laotie.accounts import router as accounts_router
from laotie.accounts import service as accounts_service
from laotie.addresses import router as addresses_router
from laotie.affiliate import router as affiliate_router
from laotie.aftersales import router as aftersales_router
from laotie.catalog import router as catalog_router
from laotie.categories import router as categories_router
from laotie.core import install_secrets, jobs
from laotie.core.access_log import secrets_redacted
from laotie.core.auth import NoPrincipal
from laotie.core.batching import close_group_commits
from laotie.core.collector import server_collector
from laotie.core.db import Database
from laotie.core.fast_routes import FastRoutesMiddleware
from laotie.core.http import ERROR_RESPONSES, RejectNulMiddleware, install_error_handlers
from laotie.core.outbox import OutboxWorker
from laotie.core.principal_cache import PrincipalCache, database_loader
from laotie.core.request_body import BodyLimitMiddleware
from laotie.core.storage import LocalDiskStorage
from laotie.feed import router as feed_router
from laotie.governance import router as governance_router
from laotie.governance import router_integrity as governance_integrity_router
from laotie.live import router as live_router
from laotie.live.realtime import setup as live_realtime
from laotie.live.realtime.wire import RawSendMiddleware
from laotie.logistics import router as logistics_router
from laotie.moderation import router as moderation_router
from laotie.orders import quote as orders_quote
from laotie.orders import router as orders_router
from laotie.orders.batcher import PlacementBatcher
from laotie.payments import router as payments_router
from laotie.payments.sandbox import router as sandbox_router
from laotie.promotions import router as promotions_router
from laotie.reviews import router as reviews_router
from laotie.search import router as search_router
from laotie.settings import Settings
from laotie.settlement import router as settlement_router
from laotie.shops import router as shops_router
from laotie.social import router as social_router
from laotie.video import router as video_router
from laotie.web import pages
from laotie.web.fast_reads import FastReadsMiddleware

# FastAPI tries routes in the order they were included, each by its path pattern: the buy path of a
# flash sale comes first (measured: behind every other router it cost more than the rest of the
# request), then the pay path (its webhooks and the sandbox cashier were matched after ~70 routes:
# a paid order makes four requests, the checkout's pay, the cashier's confirm, two webhooks), then the
# busiest reads, the shelf, a product's detail and its page (measured: /p/{id} was matched after 285
# routes, ~0.6 ms a request, the detail after 68). No other router has a path of these routers'
# shapes, so the order changes no match (tests/integration/core/test_route_order.py checks every
# route's own path).
ROUTERS: list[APIRouter] = [
    orders_router.router,
    payments_router.router,
    sandbox_router.router,
    catalog_router.public_router,
    pages.hot_router,
    accounts_router.router,
    accounts_router.admin_router,
    addresses_router.router,
    addresses_router.regions_router,
    addresses_router.admin_router,
    categories_router.router,
    shops_router.router,
    shops_router.governance_router,
    catalog_router.router,
    catalog_router.governance_router,
    settlement_router.router,
    promotions_router.router,
    promotions_router.staff_router,
    orders_quote.router,
    logistics_router.router,
    logistics_router.governance_router,
    aftersales_router.router,
    aftersales_router.governance_router,
    moderation_router.governance_router,
    social_router.router,
    affiliate_router.router,
    video_router.router,
    live_router.router,
    search_router.router,
    feed_router.router,
    reviews_router.router,
    reviews_router.governance_router,
    governance_router.router,
    governance_router.staff_router,
    pages.router,
    governance_integrity_router.router,
    governance_integrity_router.merchant_router,
]

health_router = APIRouter(prefix="/api/v1", tags=["health"])


@health_router.get("/health")
async def health(_: None = NoPrincipal) -> dict[str, str]:
    """A trivial endpoint: liveness checks and the benchmarks' ceiling."""
    return {"status": "ok", "version": __version__}


def build_route_contexts(app: FastAPI) -> None:
    """FastAPI prepares an included router's routes (dependants, response fields) lazily, when the
    first request walks past them: measured ~0.2 s of the loop thread on the first webhook, and all
    of it again for each router on the way, paid by the first buyers of a sale. The server process
    prepares them all before it serves (tests build many apps and leave them lazy)."""
    for _ in iter_route_contexts(app.routes):
        pass


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    if settings is None:
        # The server process itself (uvicorn's factory): it never starts with an unset or public secret.
        settings = install_secrets.secure_process_settings()
    database = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    bootstrap.wire()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops: list[threading.Event] = []
        tuning = ExitStack()
        tuning.enter_context(secrets_redacted())
        if db is None:
            # This app owns its database: it is the server process (tests pass theirs in).
            tuning.enter_context(server_collector())
            build_route_contexts(app)
        if settings.embedded_worker:
            stops.append(
                app.state.outbox_worker.start_thread(
                    settings.outbox_poll_seconds, settings.outbox_gather_seconds
                )[1]
            )
            stops.append(jobs.start_thread(database))
        provider_stops = (
            bootstrap.start_provider_threads(database, settings) if settings.embedded_worker else []
        )
        await live_realtime.start(app)
        yield
        await live_realtime.stop(app)
        for stop in stops:
            stop.set()
        for stop_provider in provider_stops:
            stop_provider()
        app.state.placement_batcher.close()
        close_group_commits(app)
        if db is None:
            database.dispose()
        tuning.close()

    app = FastAPI(
        title="Laotie 老铁",
        version=__version__,
        summary="Live-stream and short-video commerce platform",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = database
    app.state.storage = LocalDiskStorage(settings.media_dir)
    app.state.resolve_principal = accounts_service.resolve_principal
    app.state.outbox_worker = OutboxWorker(database)
    app.state.principal_cache = PrincipalCache(database_loader(database, accounts_service.resolve_principals))
    app.state.placement_batcher = PlacementBatcher(database)
    live_realtime.install(app, settings, database)
    install_error_handlers(app)
    # Buying and paying in a flash sale, answered before routing (``core.fast_routes``), inside the
    # body checks.
    app.add_middleware(
        FastRoutesMiddleware,
        routes=[orders_router.FAST_BUY_NOW, orders_router.FAST_PAY, sandbox_router.FAST_CONFIRM],
    )
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # outside anything that reads a body
    # The busiest public reads, answered before routing (``web.fast_reads``); they read no body.
    app.add_middleware(FastReadsMiddleware)
    app.add_middleware(RawSendMiddleware)  # outermost: live viewers' sockets are written directly
    app.include_router(health_router)
    for router in ROUTERS:
        app.include_router(router)
    static_dir = pages.STATIC_DIR
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return app

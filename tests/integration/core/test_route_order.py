"""The busiest routers are tried first (``app.ROUTERS``): that is only safe while none of their routes
can match a path another route serves, so which route answers does not depend on the order."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

from laotie.app import ROUTERS
from laotie.catalog import router as catalog_router
from laotie.orders import router as orders_router
from laotie.payments import router as payments_router
from laotie.payments.sandbox import router as sandbox_router
from laotie.web import pages

# Every router ``app.ROUTERS`` puts before the rest: the buy and pay paths, then the busiest reads.
HOT_ROUTERS = (
    orders_router.router,
    payments_router.router,
    sandbox_router.router,
    catalog_router.public_router,
    pages.hot_router,
)
PARAM = re.compile(r"{[^}]+}")


def _routes(app: FastAPI) -> list[tuple[str, set[str], re.Pattern[str], object]]:
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            path = context.path or ""
            found.append((path, set(context.methods or ()), compile_path(path)[0], context.endpoint))
    return found


def _endpoints(router: APIRouter) -> set[object]:
    return {context.endpoint for context in iter_route_contexts(router.routes)}


def test_the_hot_routers_come_first(app: FastAPI) -> None:
    assert ROUTERS[: len(HOT_ROUTERS)] == list(HOT_ROUTERS)


def test_the_pay_path_is_among_the_hot_routes(app: FastAPI) -> None:
    hot = set().union(*(_endpoints(router) for router in HOT_ROUTERS))
    assert {
        ("POST", "/api/v1/orders/buy-now"),
        ("POST", "/api/v1/checkouts/{checkout_id}/pay"),
        ("POST", "/api/v1/payments/sandbox/intents/{provider_ref}/confirm"),
        ("POST", "/api/v1/payments/webhooks/sandbox"),
        ("POST", "/api/v1/payments/webhooks/sandbox/batch"),
        ("GET", "/api/v1/products"),
        ("GET", "/api/v1/products/{product_id}"),
        ("GET", "/p/{product_id}"),
        ("GET", "/"),
    } <= {
        (method, path) for path, methods, _, endpoint in _routes(app) if endpoint in hot for method in methods
    }


@pytest.mark.parametrize("router", HOT_ROUTERS, ids=["orders", "payments", "sandbox", "catalog", "pages"])
def test_hot_routes_share_no_path_with_any_other_route(app: FastAPI, router: APIRouter) -> None:
    """Each hot router against every route outside it, the other hot routers' included: the order
    among them changes no match either."""
    routes = _routes(app)
    hot = _endpoints(router)
    # Every literal segment anywhere stands in for a parameter too: ``/api/v1/products/{id}`` must not
    # catch ``/api/v1/products/mine`` if some other router serves that.
    fillers = {"1"} | {seg for path, *_ in routes for seg in path.split("/") if seg and "{" not in seg}

    def samples(path: str) -> set[str]:
        return {PARAM.sub(filler, path) for filler in fillers}

    clashes = []
    for h_path, h_methods, h_regex, h_endpoint in routes:
        if h_endpoint not in hot:
            continue
        h_samples = samples(h_path)
        for path, methods, regex, endpoint in routes:
            if endpoint in hot or not (methods & h_methods):
                continue
            if any(h_regex.match(s) for s in samples(path)) or any(regex.match(s) for s in h_samples):
                clashes.append(f"{h_path} / {path}")
    assert clashes == []

"""The busiest routers are tried first (``app.ROUTERS``): that is only safe while none of their routes
can match a path another route serves, so which route answers does not depend on the order."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

from laotie.catalog import router as catalog_router
from laotie.web import pages

HOT_ROUTERS = (catalog_router.public_router, pages.hot_router)
PARAM = re.compile(r"{[^}]+}")


def _routes(app: FastAPI) -> list[tuple[str, set[str], re.Pattern[str], object]]:
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            path = context.path or ""
            found.append((path, set(context.methods or ()), compile_path(path)[0], context.endpoint))
    return found


def _hot_endpoints() -> set[object]:
    return {context.endpoint for router in HOT_ROUTERS for context in iter_route_contexts(router.routes)}


def test_hot_routes_share_no_path_with_any_other_route(app: FastAPI) -> None:
    routes = _routes(app)
    hot = _hot_endpoints()
    assert {"/api/v1/products", "/api/v1/products/{product_id}", "/p/{product_id}", "/"} <= {
        path for path, _, _, endpoint in routes if endpoint in hot
    }
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

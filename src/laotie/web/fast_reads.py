"""The three busiest public reads answered before FastAPI: a product's detail, the plain shelf and a
visitor's product page.

With random ids over a large catalogue nearly every one of these requests misses the read cache, and
what a miss costs beyond its build was mostly the framework around it: the exception and exit-stack
middlewares, route matching, dependency solving, a Response object. This ASGI middleware answers
the plainest form of each directly from the same cache and the same builders as the routes
(``catalog.router``, ``web.pages_buyer``), with the same headers and the same 304:

- ``GET /api/v1/products/{id}``, no query string;
- ``GET /api/v1/products`` with at most ``limit``, ``offset`` and ``category_id``;
- ``GET /p/{id}``, no query string, from a visitor with no token and no one-shot message;
- ``GET /``, no query string, same visitor, when the visitors' home page is kept (its impressions are
  logged per view as the route logs them; the route builds it when it is not).

Anything else, anything it cannot parse the one canonical way (``/p/007``, a repeated parameter, an
out-of-range number), a product not on the shelf, a failed build: it hands the request to the app
unchanged, so every error keeps its route's status and stable code. It never answers a request the
routes would answer differently: ``tests/integration/web/test_fast_reads.py`` compares both.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from laotie.catalog import service as catalog
from laotie.core.ids import MAX_ID
from laotie.core.pagination import MAX_LIMIT
from laotie.core.read_cache import Ready, matches
from laotie.web import pages_buyer, pages_discovery
from laotie.web.rendering import FLASH_COOKIE, TOKEN_COOKIE

_NUMBER = r"[1-9][0-9]{0,18}"
_DETAIL = re.compile(rf"/api/v1/products/({_NUMBER})")
_PAGE = re.compile(rf"/p/({_NUMBER})")
_SHELF_PATH = "/api/v1/products"
_CANONICAL = re.compile(r"0|[1-9][0-9]{0,18}")
_SHELF_BOUNDS = {"limit": (1, MAX_LIMIT), "offset": (0, 1_000_000), "category_id": (1, MAX_ID)}
_JSON = b"application/json"
_CONTROL = b"public, no-cache"


def _shelf_params(query: bytes) -> dict[str, int] | None:
    """``limit``, ``offset`` and ``category_id`` as the route would read them, or ``None`` for any
    query this path does not take (another parameter, a repeated one, a number not in range)."""
    params: dict[str, int] = {}
    if not query:
        return params
    for pair in query.decode("latin-1").split("&"):
        name, eq, value = pair.partition("=")
        bounds = _SHELF_BOUNDS.get(name)
        if not eq or bounds is None or name in params or not _CANONICAL.fullmatch(value):
            return None
        number = int(value)
        if not bounds[0] <= number <= bounds[1]:
            return None
        params[name] = number
    return params


def _product_id(pattern: re.Pattern[str], path: str) -> int | None:
    """The id in a product path written the one canonical way, within the ids the routes accept."""
    found = pattern.fullmatch(path)
    if found is None:
        return None
    product_id = int(found.group(1))
    return product_id if product_id <= MAX_ID else None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _anonymous(scope: Scope) -> bool:
    """No token and no one-shot message: the caller gets the page every such visitor gets. Any
    mention of the token or flash cookie (even empty) goes to the route, which decides."""
    if _header(scope, b"authorization") is not None:
        return False
    for key, value in scope["headers"]:
        if key == b"cookie" and (TOKEN_COOKIE.encode() in value or FLASH_COOKIE.encode() in value):
            return False
    return True


class FastReadsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        ready: Ready | None = None
        try:
            ready, media, control = await self._ready(scope, path, query)
        except Exception:  # the route answers it, with its own error and code
            ready = None
        if ready is None:
            if path == "/" and not query and _anonymous(scope):
                html = pages_discovery.kept_visitor_home(scope["app"].state.db)
                if html is not None:
                    await _send_html(send, html)
                    return
            await self.app(scope, receive, send)
            return
        await _answer(scope, send, ready, media, control)

    async def _ready(self, scope: Scope, path: str, query: bytes) -> tuple[Ready | None, bytes, bytes]:
        if path.startswith("/p/"):
            product_id = _product_id(_PAGE, path)
            if product_id is None or query or not _anonymous(scope):
                return None, b"", b""
            db = scope["app"].state.db
            ready = await catalog.cached_read_in(
                db,
                pages_buyer.anonymous_key(product_id, None, ""),
                pages_buyer.anonymous_build(db, product_id, None, ""),
                session=True,
            )
            return ready, pages_buyer.HTML.encode(), pages_buyer.ANONYMOUS_CACHE_CONTROL.encode()
        if not path.startswith(_SHELF_PATH):
            return None, b"", b""
        if path == _SHELF_PATH:
            params = _shelf_params(query)
            if params is None:
                return None, b"", b""
            limit, offset, category_id = (
                params.get("limit", 20),
                params.get("offset", 0),
                params.get("category_id"),
            )
            ready = await catalog.cached_read_in(
                scope["app"].state.db,
                catalog.shelf_key(limit, offset, category_id, None, None, "default", None),
                catalog.shelf_build(limit, offset, category_id, None, None, "default", None),
            )
            return ready, _JSON, _CONTROL
        product_id = _product_id(_DETAIL, path)
        if product_id is None or query:
            return None, b"", b""
        db = scope["app"].state.db
        ready = await catalog.cached_read_in(
            db, catalog.detail_key(product_id), catalog.detail_build(db, product_id)
        )
        return ready, _JSON, _CONTROL


async def _answer(scope: Scope, send: Send, ready: Ready, media: bytes, control: bytes) -> None:
    """What ``catalog.cached_answer`` sends: 200 with the body, or 304 for a client holding it."""
    etag = ready.etag.encode()
    headers: list[tuple[bytes, Any]] = [(b"etag", etag), (b"cache-control", control)]
    inm = _header(scope, b"if-none-match")
    if inm is not None and matches(inm.decode("latin-1"), ready.etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [(b"content-length", str(len(ready.body)).encode()), (b"content-type", media)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ready.body})


async def _send_html(send: Send, html: bytes) -> None:
    """What the home route's ``HTMLResponse`` sends (no validator: each view is logged)."""
    headers = [(b"content-length", str(len(html)).encode()), (b"content-type", b"text/html; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": html})

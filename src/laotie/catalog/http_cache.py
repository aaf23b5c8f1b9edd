"""HTTP glue for the hot public reads: build once in a worker thread, answer with ETag and 304.

A cache hit is answered on the event loop without a thread, a session or a pydantic model. A miss
opens one read-only session inside one worker-thread call (under the same gate as every request's
session, ``core.http.session_gate``), builds the bytes and leaves them in ``public_reads.cache``.

``Cache-Control: public, no-cache``: any cache may keep the body but must revalidate it (a cheap
304 when the ETag still matches), so the staleness bound of ``core.read_cache`` is the whole bound a
buyer sees, with no browser or CDN lifetime added on top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import event

from laotie.catalog import public_reads
from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.http import session_gate
from laotie.core.read_cache import ReadCache, Ready, matches
from laotie.core.uow import unit_of_work

CACHE_CONTROL = "public, no-cache"
# Tables whose rows the cached reads show (the product page's parts too: its promotions, shop scores
# and shipping); a write to any of them, committed through this process's engine, empties this
# process's caches at once (other processes rely on the TTL alone).
_SHOWN = (
    "catalog_",
    "shops_shop",
    "categories_category",
    "promotions_",
    "scores_",
    "logistics_template",
    "logistics_product_shipping",
    "logistics_shop_policy",
)
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCA")
_caches: WeakKeyDictionary[Database, ReadCache] = WeakKeyDictionary()


def cache_for(db: Database) -> ReadCache:
    """This process's cache of ready bodies for ``db`` (one per database: the tests use two)."""
    cache = _caches.get(db)
    if cache is None:
        cache = _caches.setdefault(db, ReadCache())
        _watch_writes(db, cache)
    return cache


def _watch_writes(db: Database, cache: ReadCache) -> None:
    """Read-your-writes within one process: a committed write to a shown table drops the caches.
    Across processes the bound is the TTL (``core.read_cache``)."""

    def noted(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITES and any(t in statement for t in _SHOWN):
            conn.info["laotie.catalog_written"] = True

    def committed(conn: Any) -> None:
        if conn.info.pop("laotie.catalog_written", False):
            cache.clear()
            public_reads.forget_totals()
            categories.forget_tree()

    def rolled_back(conn: Any) -> None:
        conn.info.pop("laotie.catalog_written", None)

    event.listen(db.engine, "before_cursor_execute", noted)
    event.listen(db.engine, "commit", committed)
    event.listen(db.engine, "rollback", rolled_back)


def _build_in_session(
    db: Database, cache: ReadCache, key: str, build: Callable[[Any], bytes | None], session: bool
) -> Ready | None:
    """One read transaction. The JSON reads get a bare connection: a Session's bookkeeping
    (identity map, ORM result processing, rollback on close) cost more than their three indexed
    queries. A page built from other domains' services gets a read-only Session."""
    if session:
        with unit_of_work(db, read_only=True) as s:
            return cache.get_or_build(key, lambda: build(s))
    with db.read_engine.connect() as conn, conn.begin():
        return cache.get_or_build(key, lambda: build(conn))


async def ready(
    request: Request, key: str, build: Callable[[Any], bytes | None], *, session: bool = False
) -> Ready | None:
    """The cached body for ``key``, built now if it is missing or too old; ``None`` if ``build``
    found nothing to show. ``build`` gets a Connection, or a Session when ``session``."""
    db: Database = request.app.state.db
    cache = cache_for(db)
    found = cache.get(key)
    if found is not None:
        return found
    async with session_gate(db):
        return await run_in_threadpool(_build_in_session, db, cache, key, build, session)


def answer(request: Request, body: Ready, media_type: str = "application/json") -> Response:
    """200 with the body, or 304 when the client already holds these exact bytes."""
    headers = {"ETag": body.etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=headers)
    return Response(body.body, media_type=media_type, headers=headers)

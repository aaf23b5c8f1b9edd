"""HTTP glue for the hot public reads: build once in a worker thread, answer with ETag and 304.

A cache hit is answered on the event loop without a thread, a session or a pydantic model. Misses
are built in worker threads in batches (``_Misses``): the misses that arrive while a batch is being
built wait for the next one, which builds them all in one worker-thread call on one pooled
connection (under the same gate as every request's session, ``core.http.session_gate``), each in
its own read transaction. Waking a worker thread and checking a connection out of the pool cost more
than building a product's detail; under load they are now paid once per batch, not once per miss.

``Cache-Control: public, no-cache``: any cache may keep the body but must revalidate it (a cheap
304 when the ETag still matches), so the staleness bound of ``core.read_cache`` is the whole bound a
buyer sees, with no browser or CDN lifetime added on top.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Connection, event

from laotie.catalog import detail_reads, public_reads
from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.http import session_gate
from laotie.core.read_cache import ReadCache, Ready, matches

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
    "live_session",  # the live cart: its pinned item and whether the room is on air
    "live_cart_item",
    "live_flash_",
)
# Not watched: the search index and videos behind the visitors' home page (``web.pages_discovery``,
# kept 5 s). Each process's impression flush updates ``search_doc`` every few seconds: watching it
# emptied every product's detail and page with it.
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


# At most this many batches are built at once (each holds one worker thread and one connection), and
# a batch builds at most BATCH_SIZE misses: more batches in flight keep both cores busy while SQLite
# or the network holds a thread, and a bounded batch keeps its first answer from waiting on its last.
BATCHES_AT_ONCE = 4
BATCH_SIZE = 16


@dataclass(slots=True)
class _Miss:
    key: str
    build: Callable[[Any], bytes | None]
    session: bool
    answer: asyncio.Future[Ready | None]


@dataclass(slots=True)
class _Misses:
    """The misses of one database on one event loop waiting to be built."""

    db: Database
    cache: ReadCache
    loop: asyncio.AbstractEventLoop
    waiting: list[_Miss] = field(default_factory=list)
    running: int = 0
    draining: set[asyncio.Task[None]] = field(default_factory=set)

    async def ready(self, key: str, build: Callable[[Any], bytes | None], session: bool) -> Ready | None:
        miss = _Miss(key, build, session, self.loop.create_future())
        self.waiting.append(miss)
        if self.running < BATCHES_AT_ONCE:
            self.running += 1
            task = self.loop.create_task(self._drain())
            self.draining.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self.draining.discard)
        return await miss.answer

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:BATCH_SIZE], self.waiting[BATCH_SIZE:]
                try:
                    async with session_gate(self.db):
                        outcomes = await run_in_threadpool(_build_batch, self.db, self.cache, batch)
                except Exception as exc:  # the batch never ran: its requests fail, not wait forever
                    outcomes = [exc] * len(batch)
                except BaseException:  # cancelled (the loop is closing): nobody may wait forever
                    for miss in batch + self.waiting:
                        miss.answer.cancel()
                    self.waiting = []
                    raise
                for miss, outcome in zip(batch, outcomes, strict=True):
                    if miss.answer.done():
                        continue  # its request went away
                    if isinstance(outcome, BaseException):
                        miss.answer.set_exception(outcome)
                    else:
                        miss.answer.set_result(outcome)
        finally:
            self.running -= 1


_misses: WeakKeyDictionary[Database, _Misses] = WeakKeyDictionary()


def _misses_of(db: Database, cache: ReadCache) -> _Misses:
    loop = asyncio.get_running_loop()
    misses = _misses.get(db)
    if misses is None or misses.loop is not loop:  # one per event loop (the tests start several)
        misses = _misses[db] = _Misses(db, cache, loop)
    return misses


def _build_batch(db: Database, cache: ReadCache, batch: list[_Miss]) -> list[Ready | BaseException | None]:
    """Each miss in its own read transaction, so each entry's age counts from its own transaction's
    start (``ReadCache.get_or_build``), all of them on one connection: checking a connection out of
    the pool and back cost about a tenth of a product page. The JSON reads run on the bare
    connection: a Session's bookkeeping (identity map, ORM result processing) cost more than their
    three indexed queries. A page built from other domains' services gets a read-only Session of
    its own, bound to that connection and its transaction."""
    outcomes: list[Ready | BaseException | None] = []
    with db.read_engine.connect() as conn:
        for miss in batch:
            try:
                if miss.session:
                    outcomes.append(_build_with_session(db, conn, cache, miss))
                else:
                    outcomes.append(_build_on(conn, cache, miss))
            except Exception as exc:  # one bad build fails its own request alone
                outcomes.append(exc)
    return outcomes


def _build_on(conn: Connection, cache: ReadCache, miss: _Miss) -> Ready | None:
    with conn.begin():
        return cache.get_or_build(miss.key, lambda: miss.build(conn))


def _build_with_session(db: Database, conn: Connection, cache: ReadCache, miss: _Miss) -> Ready | None:
    # The Session joins the connection's transaction; the block's end ends that transaction.
    with conn.begin(), db.read_sessions(bind=conn) as session:
        return cache.get_or_build(miss.key, lambda: miss.build(session))


async def ready(
    request: Request, key: str, build: Callable[[Any], bytes | None], *, session: bool = False
) -> Ready | None:
    """The cached body for ``key``, built now if it is missing or too old; ``None`` if ``build``
    found nothing to show. ``build`` gets a Connection, or a Session when ``session``."""
    return await ready_in(request.app.state.db, key, build, session=session)


async def ready_in(
    db: Database, key: str, build: Callable[[Any], bytes | None], *, session: bool = False
) -> Ready | None:
    """``ready`` for callers without a Request (the ASGI fast path, ``web.fast_reads``)."""
    cache = cache_for(db)
    found = cache.get(key)
    if found is not None:
        return found
    return await _misses_of(db, cache).ready(key, build, session)


def detail_key(product_id: int) -> str:
    return f"d|{product_id}"


def detail_build(db: Database, product_id: int) -> Callable[[Any], bytes | None]:
    cache = cache_for(db)
    return lambda conn: detail_reads.detail_body(conn, product_id, cache)


def shelf_key(
    limit: int,
    offset: int,
    category_id: int | None,
    shop_id: int | None,
    q: str | None,
    sort: str,
    cursor: str | None,
) -> str:
    return f"s|{limit}|{offset}|{category_id}|{shop_id}|{q or ''}|{sort}|{cursor or ''}"


def shelf_build(
    limit: int,
    offset: int,
    category_id: int | None,
    shop_id: int | None,
    q: str | None,
    sort: Any,
    cursor: str | None,
) -> Callable[[Any], bytes | None]:
    def build(reader: Any) -> bytes:
        return public_reads.dumps(
            public_reads.shelf_document(
                reader,
                limit=limit,
                offset=offset,
                category_id=category_id,
                shop_id=shop_id,
                q=q,
                sort=sort,
                cursor=cursor or None,
            )
        )

    return build


def answer(request: Request, body: Ready, media_type: str = "application/json") -> Response:
    """200 with the body, or 304 when the client already holds these exact bytes."""
    headers = {"ETag": body.etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=headers)
    return Response(body.body, media_type=media_type, headers=headers)

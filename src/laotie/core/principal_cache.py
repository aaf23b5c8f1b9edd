"""A short-lived cache of who a token belongs to, for the hottest routes (buying in a flash sale).

Resolving a token costs a database read; in a flash sale that read would be most of the work. The
cache holds an answer for a few seconds: when a user's tokens are revoked in this process their
cached answers are dropped at once (the log-out and session routes call ``forget_user``); a token
revoked in another process stops working within ``ttl``.

Misses are resolved together: when thousands of buyers who have not bought yet tap at once, their
tokens queue while one look-up runs, and the next look-up takes all of them in one query, in one
trip to a worker thread. Concurrent requests with the same token share one look-up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from laotie.core.auth import Principal, _mark
from laotie.core.db import Database
from laotie.core.errors import NOT_AUTHENTICATED
from laotie.core.ids import token_hash
from laotie.core.uow import unit_of_work

log = logging.getLogger(__name__)

# Resolves many tokens at once: every token given is a key of the answer (None: not a valid token).
Loader = Callable[[list[str]], dict[str, Principal | None]]


class PrincipalCache:
    def __init__(
        self, loader: Loader | None = None, ttl_seconds: float = 5.0, max_entries: int = 200_000
    ) -> None:
        self.loader = loader
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.max_batch = 1000
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()
        self._waiting: dict[str, asyncio.Future[Principal | None]] = {}
        self._running = False
        self._task: asyncio.Task[None] | None = None

    def get(self, token: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(token_hash(token))
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, token: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # crude but bounded; a full cache refills in seconds
            self._entries[token_hash(token)] = (time.monotonic() + self.ttl, principal)

    def forget(self, token: str) -> None:
        self._entries.pop(token_hash(token), None)

    def forget_user(self, user_id: int) -> None:
        """Drop every cached answer for the user (a session revoked by id, not by token)."""
        with self._lock:
            stale = [k for k, (_, p) in self._entries.items() if p is not None and p.user_id == user_id]
            for key in stale:
                del self._entries[key]

    async def resolve(self, token: str) -> Principal | None:
        """The token's principal: from the cache, or from the next batched look-up."""
        found, principal = self.get(token)
        if found:
            return principal
        if self.loader is None:
            raise RuntimeError("PrincipalCache needs a loader to resolve tokens")
        future = self._waiting.get(token)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._waiting[token] = loop.create_future()
            if not self._running:
                self._running = True
                self._task = loop.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                tokens = list(self._waiting)[: self.max_batch]
                futures = {t: self._waiting.pop(t) for t in tokens}
                try:
                    assert self.loader is not None
                    found = await loop.run_in_executor(None, self.loader, tokens)
                except Exception as exc:  # every waiting request fails, none hangs
                    log.exception("token look-up failed")
                    for future in futures.values():
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for token, future in futures.items():
                    self.put(token, found.get(token))
                    if not future.done():
                        future.set_result(found.get(token))
        finally:
            self._running = False


def database_loader(db: Database, resolve_many: Callable[..., dict[str, Principal | None]]) -> Loader:
    """A loader that resolves tokens with ``resolve_many(session, tokens)`` in a read-only session."""

    def load(tokens: list[str]) -> dict[str, Principal | None]:
        with unit_of_work(db, read_only=True) as session:
            return resolve_many(session, tokens)

    return load


class CachedBearer(HTTPBearer):
    """The caller's principal from the bearer token (or the session cookie), through the cache.

    One dependency rather than ``authenticated``'s three levels (bearer, session, principal): FastAPI
    resolves each level per request, which on the buy path cost more than the look-up. Being an
    ``HTTPBearer`` it is documented in OpenAPI as the same bearer scheme as every other route."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not (token and scheme.lower() == "bearer"):
            token = request.cookies.get("laotie_token") or ""
        if not token:
            raise NOT_AUTHENTICATED()
        cache: PrincipalCache = request.app.state.principal_cache
        principal = await cache.resolve(token)
        if principal is None:
            raise NOT_AUTHENTICATED()
        return principal


cached_principal = _mark(CachedBearer(scheme_name="HTTPBearer", auto_error=False), "authenticated", ())
CachedUser = Depends(cached_principal)

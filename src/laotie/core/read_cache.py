"""Ready response bodies of public reads, kept per process for a bounded time.

A public read (a product's detail, a shelf page) that many buyers ask for at once is built once and
then served as bytes, with an ETag, until it is ``ttl`` seconds old. There is no cross-process
invalidation to get wrong: every process drops each entry by its age alone, so in every API process
(``laotie serve --workers N``) a reader sees a change at most ``ttl`` seconds after it committed. A
change committed while an entry is being built may be missed by that build; the entry's age is
counted from before its build started, so the bound holds for it too.

An entry may be built from other entries (a product page from the product's document, its shop's
part...). Its age then counts from the oldest build among them: each thread keeps a stack of the
builds under way, and an entry read or built inside one pulls that build's start back to its own.

The bound is the whole contract: what a cached page shows (price, stock, whether the product is on
the shelf) may be up to ``ttl`` seconds old, never older. Nothing that sells reads from here: order
placement rereads price, stock and the listing under its own lock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

DEFAULT_TTL_SECONDS = 1.0
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Ready:
    """A response body as it goes out, its validator, and when it stops being served."""

    body: bytes
    etag: str
    expires: float  # time.monotonic()


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag in every process."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``); weak tags compare equal too."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class ReadCache:
    """Bodies by key, each served for at most ``ttl`` seconds after its build began.

    At most ``max_entries`` are kept; past that the oldest insertions go first (a dict keeps
    insertion order), so memory stays bounded however large the catalogue is. Safe across threads:
    every operation is a single dict step, and two threads building the same key at once both
    produce a correct body (the later one wins).
    """

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = 20_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, Ready] = {}
        # value, expires, and its build's start for the builds that use it (None: a value with a bound
        # of its own, which does not shorten theirs)
        self._values: dict[str, tuple[Any, float, float | None]] = {}
        self._lock = threading.Lock()
        self._building = threading.local()  # .starts: the builds under way in this thread, innermost last

    def _begin(self) -> None:
        starts: list[float] | None = getattr(self._building, "starts", None)
        if starts is None:
            starts = self._building.starts = []
        starts.append(time.monotonic())  # before the build reads anything: the bound counts from here

    def _end(self) -> float:
        """The finished build's start, pulled back by whatever older entry it used; its enclosing
        build (if any) inherits it."""
        started: float = self._building.starts.pop()
        self._used(started)
        return started

    def _used(self, started: float) -> None:
        starts: list[float] | None = getattr(self._building, "starts", None)
        if starts and started < starts[-1]:
            starts[-1] = started

    def get(self, key: str) -> Ready | None:
        ready = self._entries.get(key)
        if ready is None or ready.expires <= time.monotonic():
            return None
        self._used(ready.expires - self.ttl)
        return ready

    def get_or_build(self, key: str, build: Callable[[], bytes | None]) -> Ready | None:
        """The entry for ``key``, built now if absent or expired. ``build`` returning ``None``
        (nothing to show: a product off the shelf) is not cached."""
        ready = self.get(key)
        if ready is not None:
            return ready
        if self.ttl <= 0:
            body = build()
            return None if body is None else Ready(body, etag_of(body), 0.0)
        self._begin()
        try:
            body = build()
        finally:
            started = self._end()
        if body is None:
            return None
        ready = Ready(body, etag_of(body), started + self.ttl)
        with self._lock:
            self._entries.pop(key, None)  # re-inserted at the end: the newest
            self._entries[key] = ready
            while len(self._entries) > self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        return ready

    def kept_value(self, key: str) -> Any | None:
        """The value kept for ``key`` if it is still within its bound, else ``None`` (no build)."""
        kept = self._values.get(key)
        if kept is None or kept[1] <= time.monotonic():
            return None
        if kept[2] is not None:
            self._used(kept[2])
        return kept[0]

    def value(self, key: str, build: Callable[[], V], ttl: float | None = None) -> V:
        """A part of a page rather than its bytes (a product's promotions, its shop's scores), under
        the same bound and the same clearing: for pages that are personal as a whole but show parts
        that are the same for everyone. The value is shared between requests and threads: callers
        only read it. An exception from ``build`` is not kept. ``ttl``: a bound of its own for this
        value instead of the cache's (the visitors' home page; a shop's facts on a product page),
        stated where it is used; a build that uses such a value keeps its own bound."""
        kept = self._values.get(key)
        if kept is not None and kept[1] > time.monotonic():
            if kept[2] is not None:
                self._used(kept[2])
            return cast(V, kept[0])
        if self.ttl <= 0:
            return build()
        self._begin()
        try:
            value = build()
        finally:
            started = self._end()
        with self._lock:
            self._values.pop(key, None)
            if ttl is None:
                self._values[key] = (value, started + self.ttl, started)
            else:
                self._values[key] = (value, started + ttl, None)
            while len(self._values) > self.max_entries:
                self._values.pop(next(iter(self._values)))
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._values.clear()

    def __len__(self) -> int:
        return len(self._entries)

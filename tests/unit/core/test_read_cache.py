"""The per-process cache of ready bodies: the age bound, the size bound, and ETag matching."""

from __future__ import annotations

import time

from laotie.core.read_cache import ReadCache, etag_of, matches


def test_an_entry_is_served_until_its_ttl_then_built_again() -> None:
    cache = ReadCache(ttl=0.2)
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return f"v{len(builds)}".encode()

    first = cache.get_or_build("k", build)
    assert first is not None and first.body == b"v1"
    assert cache.get_or_build("k", build) is first  # within the bound: no second build
    time.sleep(0.25)
    assert cache.get("k") is None  # older than the bound: never served
    again = cache.get_or_build("k", build)
    assert again is not None and again.body == b"v2" and again.etag != first.etag


def test_the_bound_counts_from_before_the_build() -> None:
    cache = ReadCache(ttl=0.2)

    def slow() -> bytes:
        time.sleep(0.1)
        return b"x"

    started = time.monotonic()
    ready = cache.get_or_build("k", slow)
    assert ready is not None and ready.expires <= started + 0.2 + 0.01


def test_nothing_to_show_is_not_cached_and_size_is_bounded() -> None:
    cache = ReadCache(ttl=10, max_entries=3)
    assert cache.get_or_build("gone", lambda: None) is None and cache.get("gone") is None
    for i in range(5):
        cache.get_or_build(str(i), lambda i=i: str(i).encode())  # type: ignore[misc]
    assert len(cache) == 3 and cache.get("0") is None and cache.get("4") is not None
    cache.clear()
    assert len(cache) == 0


def test_if_none_match() -> None:
    tag = etag_of(b"body")
    assert tag == etag_of(b"body") and tag != etag_of(b"other")
    assert matches(tag, tag) and matches(f'"a", W/{tag}', tag) and matches("*", tag)
    assert not matches(None, tag) and not matches('"a"', tag)


def test_a_kept_value_has_the_same_bound_and_is_cleared_with_the_bodies() -> None:
    cache = ReadCache(ttl=0.2, max_entries=2)
    builds: list[int] = []

    def build() -> dict[str, int]:
        builds.append(1)
        return {"n": len(builds)}

    first = cache.value("parts", build)
    assert cache.value("parts", build) is first and builds == [1]  # within the bound: shared
    cache.clear()  # a write this process committed
    assert cache.value("parts", build) == {"n": 2}
    time.sleep(0.25)
    assert cache.value("parts", build) == {"n": 3}  # older than the bound: read again

    def refused() -> dict[str, int]:
        raise LookupError("off the shelf")

    for _ in range(2):  # an error is not kept: the next request asks again
        try:
            cache.value("gone", refused)
        except LookupError:
            pass
        else:
            raise AssertionError("the error was swallowed")
    for key in ("a", "b", "c"):
        cache.value(key, build)
    assert len(cache._values) == 2  # bounded like the bodies


def test_an_entry_built_from_an_older_part_expires_with_that_part() -> None:
    """A page built from a kept part (a product's document) is no fresher than the part: its age
    counts from the part's build, so the page never outlives the bound the part had."""
    cache = ReadCache(ttl=0.3)
    part_started = time.monotonic()
    cache.value("part", lambda: {"price": 1})
    time.sleep(0.15)
    page = cache.get_or_build("page", lambda: str(cache.value("part", lambda: {"price": 2})).encode())
    assert page is not None and page.body == b"{'price': 1}"
    assert page.expires <= part_started + 0.3 + 0.01  # not 0.15 s later, as its own build began
    # A nested build passes its start on the same way, and a fresh part leaves the bound alone.
    fresh = cache.get_or_build("other", lambda: str(cache.value("new", lambda: 3)).encode())
    assert fresh is not None and fresh.expires > page.expires


def test_a_value_with_its_own_bound_lives_that_long_and_does_not_shorten_its_users() -> None:
    """A shop's facts kept 10 s on a product page: kept past the cache's bound, cleared with it, and a
    page built from them keeps its own bound (their age is stated separately)."""
    cache = ReadCache(ttl=0.2)
    builds: list[int] = []
    cache.value("shop", lambda: builds.append(1) or "facts", ttl=5.0)
    time.sleep(0.25)
    assert cache.kept_value("shop") == "facts"
    started = time.monotonic()
    page = cache.get_or_build("page", lambda: cache.value("shop", lambda: "again", ttl=5.0).encode())
    assert page is not None and page.body == b"facts" and page.expires >= started + 0.2 - 0.01
    assert builds == [1]
    cache.clear()
    assert cache.kept_value("shop") is None
    assert cache.value("shop", lambda: "rebuilt", ttl=5.0) == "rebuilt"

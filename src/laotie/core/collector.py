"""Garbage-collector settings for a server process.

A flash sale keeps thousands of requests in flight at once, and every one of them allocates. With
CPython's defaults the cyclic collector runs every 700 allocations and, every so often, walks every
object in the process: the modules, routes, schemas and table metadata that live as long as the
process, plus every request in flight. Measured on the buy path (3,000 buyers at once, one
process): more than half of the event loop's CPU went to the collector.

So while the server runs, what exists after start-up is moved out of the collector's sight
(``gc.freeze``; it is never garbage) and the youngest generation is collected every 50,000
allocations. Reference counting still frees almost everything at once; cycles wait a little longer.
Everything is put back when the server stops, so an application started and stopped many times in
one process (the tests) leaks nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 20)


@contextmanager
def server_collector(thresholds: tuple[int, int, int] = THRESHOLDS) -> Iterator[None]:
    before = gc.get_threshold()
    gc.collect()  # garbage left from start-up must not be frozen with the rest
    gc.freeze()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()

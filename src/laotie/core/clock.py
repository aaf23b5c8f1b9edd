"""One place that tells the time, so tests can move it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Timezone-aware UTC now, shifted by any offset a test has set."""
    return datetime.now(UTC) + _offset


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Move the platform's clock (tests, and the demo seed replaying yesterday's broadcasts)."""
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous

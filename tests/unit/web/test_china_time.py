"""The pages print every time in Beijing time (UTC+8), whatever zone the server runs in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from laotie.web.rendering import china_time, env

EVENING = datetime(2026, 12, 6, 12, 0, 5, tzinfo=UTC)  # 20:00:05 in Beijing


@pytest.mark.parametrize(
    ("style", "text"),
    [
        ("full", "2026-12-06 20:00"),
        ("short", "12月6日 20:00"),
        ("seconds", "2026-12-06 20:00:05"),
        ("date", "2026-12-06"),
        ("month", "2026年12月"),
        ("time", "20:00"),
        ("time_seconds", "20:00:05"),
    ],
)
def test_each_style_reads_in_beijing_time(style: str, text: str) -> None:
    assert china_time(EVENING, style) == text


def test_late_utc_evening_is_the_next_day_in_china() -> None:
    late = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert china_time(late) == "2027-01-01 00:30"
    assert china_time(late, "short") == "1月1日 00:30"
    assert china_time(late, "month") == "2027年1月"


def test_any_zone_naive_utc_and_iso_strings_mean_the_same_moment() -> None:
    new_york = EVENING.astimezone(timezone(timedelta(hours=-5)))
    assert china_time(new_york) == "2026-12-06 20:00"
    assert china_time(EVENING.replace(tzinfo=None)) == "2026-12-06 20:00"  # stored times are UTC
    assert china_time("2026-12-06T12:00:05+00:00", "seconds") == "2026-12-06 20:00:05"
    assert china_time(None) == "" and china_time("") == ""


@pytest.fixture
def server_in_los_angeles() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_the_servers_own_zone_does_not_matter(server_in_los_angeles: None) -> None:
    assert EVENING.astimezone().utcoffset() != timedelta(hours=8)  # the old astimezone() would be wrong
    rendered = env.from_string("{{ at | china_time('short') }}").render(at=EVENING)
    assert rendered == "12月6日 20:00"

"""The shared race harness reports every attempt's outcome, in order, crashes included."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import ErrorKind
from tests.factories.races import race

REFUSED = ErrorKind("TEST_RACE_REFUSED", 409, "不行", "Refused")
BUSY = ErrorKind("TEST_RACE_BUSY", 409, "稍后再试", "Busy")


def test_outcomes_come_back_in_order_with_codes_and_crashes(db: Database) -> None:
    def refuse(s: Session) -> None:
        raise REFUSED()

    def crash(s: Session) -> None:
        raise RuntimeError("boom")

    outcomes = race(db, [lambda s: None, refuse, crash, lambda s: None])
    assert outcomes == ["ok", "TEST_RACE_REFUSED", "error:RuntimeError", "ok"]


def test_a_retried_code_is_tried_again_until_it_passes_or_tries_run_out(db: Database) -> None:
    calls: list[int] = []

    def busy_twice(s: Session) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise BUSY()

    def always_busy(s: Session) -> None:
        raise BUSY()

    assert race(db, [busy_twice], retry={"TEST_RACE_BUSY"}) == ["ok"]
    assert len(calls) == 3
    assert race(db, [always_busy], retry={"TEST_RACE_BUSY"}, tries=2) == ["TEST_RACE_BUSY"]

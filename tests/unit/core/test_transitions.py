"""The one state-machine helper: a move the table allows sets the state and writes the trail; any other
move raises the domain's error and writes nothing."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pytest

from laotie.core.errors import AppError, ErrorKind
from laotie.core.transitions import Transitions, move


class Lamp(enum.StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


TABLE = Transitions({Lamp.OFF: {Lamp.ON, Lamp.BROKEN}, Lamp.ON: {Lamp.OFF, Lamp.BROKEN}, Lamp.BROKEN: set()})
LAMP_STUCK = ErrorKind(
    "TEST_LAMP_STUCK", 409, "灯不能从{before}变为{to}", "Lamp cannot go from {before} to {to}"
)


@dataclass
class Fixture:
    status: Lamp


def _refuse(before: Lamp, to: Lamp) -> AppError:
    return LAMP_STUCK(before=before.value, to=to.value)


def test_an_allowed_move_sets_the_state_and_writes_one_trail_entry() -> None:
    lamp, trail = Fixture(Lamp.OFF), []
    left = move(lamp, Lamp.ON, TABLE, refuse=_refuse, trail=lambda a, b: trail.append((a, b)))
    assert left is Lamp.OFF and lamp.status is Lamp.ON
    assert trail == [(Lamp.OFF, Lamp.ON)]


@pytest.mark.parametrize(
    ("before", "to"), [(Lamp.BROKEN, Lamp.ON), (Lamp.OFF, Lamp.OFF), (Lamp.BROKEN, Lamp.OFF)]
)
def test_an_illegal_move_is_refused_with_the_domain_code_and_records_nothing(before: Lamp, to: Lamp) -> None:
    lamp, trail = Fixture(before), []
    with pytest.raises(AppError) as refused:
        move(lamp, to, TABLE, refuse=_refuse, trail=lambda a, b: trail.append((a, b)))
    assert refused.value.code == "TEST_LAMP_STUCK"
    assert refused.value.message("en") == f"Lamp cannot go from {before} to {to}"
    assert lamp.status is before and trail == []


def test_the_table_answers_where_a_state_may_be_entered_from() -> None:
    assert TABLE.entered_from(Lamp.BROKEN) == {Lamp.OFF, Lamp.ON}
    assert TABLE.entered_from(Lamp.OFF) == {Lamp.ON}
    assert TABLE.states() == set(Lamp)
    assert TABLE.allows(Lamp.ON, Lamp.OFF) and not TABLE.allows(None, Lamp.ON)

"""The one state-machine helper: a move the table allows sets the state and writes the trail; any other
move raises the domain's error and writes nothing."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from laotie.core.errors import AppError, ErrorKind
from laotie.core.transitions import Transitions, move, move_where


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
    return LAMP_STUCK(before=str(before), to=str(to))


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


class _Base(DeclarativeBase):
    pass


class _LampRow(_Base):
    __tablename__ = "test_lamp"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(20), default="")


@pytest.fixture
def lamps() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([_LampRow(id=1, status=Lamp.OFF), _LampRow(id=2, status=Lamp.BROKEN)])
        session.flush()
        yield session
    engine.dispose()


def test_a_conditional_move_updates_the_row_and_writes_the_trail(lamps: Session) -> None:
    trail: list[tuple[Lamp, Lamp]] = []
    left = move_where(lamps, _LampRow, 1, Lamp.ON, TABLE, values={"note": "switched"}, trail=_append(trail))
    assert left == Lamp.OFF and trail == [(Lamp.OFF, Lamp.ON)]
    assert lamps.execute(select(_LampRow.status, _LampRow.note).where(_LampRow.id == 1)).one() == (
        "on",
        "switched",
    )


def test_a_conditional_move_the_table_refuses_changes_nothing(lamps: Session) -> None:
    trail: list[tuple[Lamp, Lamp]] = []
    with pytest.raises(AppError) as refused:
        move_where(
            lamps, _LampRow, 2, Lamp.ON, TABLE, values={"note": "x"}, trail=_append(trail), refuse=_refuse
        )
    assert refused.value.code == "TEST_LAMP_STUCK" and trail == []
    assert lamps.execute(select(_LampRow.status, _LampRow.note).where(_LampRow.id == 2)).one() == (
        "broken",
        "",
    )
    # Without ``refuse`` the loser of a race is told by None, and nothing is written either.
    assert move_where(lamps, _LampRow, 2, Lamp.OFF, TABLE, trail=_append(trail)) is None and trail == []


def _append(trail: list[tuple[Lamp, Lamp]]) -> Callable[[Lamp, Lamp], None]:
    return lambda before, to: trail.append((before, to))

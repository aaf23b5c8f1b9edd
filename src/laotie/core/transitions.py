"""State machines: one shape for every domain's table of allowed moves, and one way to make a move.

A domain declares its table as ``Transitions({state: {states it may move to}, ...})`` beside its
status enum and moves an aggregate only through ``move`` (a row already loaded, usually locked) or
``move_where`` (one conditional UPDATE, for rows two actors may move at once: the expiry job and the
payment webhook, the merchant and the 48-hour job). Both check the table, raise the domain's own
stable error on an illegal move (``refuse``), set the state and then write the domain's trail entry
(``trail``); a refused move writes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

S = TypeVar("S", bound=enum.StrEnum)


class Transitions(Generic[S]):
    """For each state, the states it may move to (a state with no way out maps to nothing)."""

    def __init__(self, moves: Mapping[S, Iterable[S]]) -> None:
        self.moves: dict[S, frozenset[S]] = {state: frozenset(to) for state, to in moves.items()}
        self._entered_from: dict[S, frozenset[S]] = {}
        for state, targets in self.moves.items():
            for to in targets:
                self._entered_from[to] = self._entered_from.get(to, frozenset()) | {state}

    def allows(self, before: S | None, to: S) -> bool:
        return before is not None and to in self.moves.get(before, frozenset())

    def entered_from(self, to: S) -> frozenset[S]:
        """The states ``to`` may be entered from (what a conditional UPDATE's ``WHERE status IN`` takes)."""
        return self._entered_from.get(to, frozenset())

    def states(self) -> frozenset[S]:
        """Every state the table names, as a source or a target."""
        return frozenset(self.moves) | frozenset(self._entered_from)


Refuse = Callable[[S, S], Exception]
Trail = Callable[[S, S], None]


def move(entity: Any, to: S, table: Transitions[S], *, refuse: Refuse[S], trail: Trail[S]) -> S:
    """Move ``entity`` (its ``status``) into ``to`` and record it; ``refuse(before, to)`` is raised,
    and nothing recorded, when the table does not allow the move. Returns the state it left."""
    before: S = entity.status
    if not table.allows(before, to):
        raise refuse(before, to)
    entity.status = to
    trail(before, to)
    return before


def move_where(
    session: Session,
    model: Any,
    entity_id: int,
    to: S,
    table: Transitions[S],
    *,
    trail: Trail[S],
    values: Mapping[str, Any] | None = None,
    refuse: Callable[[S | None, S], Exception] | None = None,
) -> S | None:
    """Move row ``entity_id`` of ``model`` into ``to`` with one ``UPDATE ... WHERE status IN (states
    it may be entered from)``, setting ``values`` too, and record it. When another actor moved it
    first (or it does not exist), raise ``refuse(current status or None, to)``, or return None when
    no ``refuse`` is given; nothing is recorded then. Returns the state it left."""
    before = session.scalar(select(model.status).where(model.id == entity_id))
    done = session.execute(
        update(model)
        .where(model.id == entity_id, model.status.in_(table.entered_from(to)))
        .values(status=to, **(values or {}))
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        if refuse is None:
            return None
        raise refuse(session.scalar(select(model.status).where(model.id == entity_id)), to)
    trail(cast(S, before), to)  # the row matched the UPDATE, so it was there when read
    return before

"""What the owner of a payment's reference does in the very transaction that captures it.

``PaymentSucceeded`` reaches its listeners through the outbox, after commit. For the one thing a buyer
waits on (the checkout's orders becoming paid) that round trip costs an outbox pass per event, behind
every other event of a flash sale. The owner of a reference type may register a step here that runs
in the capturing webhook's own transaction instead (its rows are in the same database); its outbox
listener stays, and finds the work done (an order moves to paid with a conditional update, once).

Only on-time captures applied from a provider's webhook run it. A late capture (``PaymentSucceededLate``)
and captures made elsewhere (a reconciliation, a pay-after-use charge's answer) are left to the events.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

# (session, intent id, reference id): flushes, never commits; runs inside the capture's savepoint.
Step = Callable[[Session, int, str], None]
# The same for many captures at once (the webhook batch): (session, [(intent id, reference id)]).
ManyStep = Callable[[Session, list[tuple[int, str]]], None]

_steps: dict[str, Step] = {}
_many_steps: dict[str, ManyStep] = {}


def on_captured(reference_type: str, step: Step, many: ManyStep | None = None) -> None:
    """Run ``step`` in the transaction of every on-time capture of a ``reference_type`` payment;
    ``many``, when given, does the same for a batch of captures with a few statements for all."""
    _steps[reference_type] = step
    if many is not None:
        _many_steps[reference_type] = many


def run(session: Session, reference_type: str, intent_id: int, reference_id: str) -> None:
    step = _steps.get(reference_type)
    if step is not None:
        step(session, intent_id, reference_id)


def run_many(session: Session, captures: list[tuple[str, int, str]]) -> None:
    """``run`` for every (reference type, intent id, reference id): one call per reference type, the
    many-step if its owner gave one, else its step for each."""
    by_type: dict[str, list[tuple[int, str]]] = {}
    for reference_type, intent_id, reference_id in captures:
        by_type.setdefault(reference_type, []).append((intent_id, reference_id))
    for reference_type, each in by_type.items():
        many = _many_steps.get(reference_type)
        if many is not None:
            many(session, each)
            continue
        for intent_id, reference_id in each:
            run(session, reference_type, intent_id, reference_id)

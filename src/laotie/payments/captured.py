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

_steps: dict[str, Step] = {}


def on_captured(reference_type: str, step: Step) -> None:
    """Run ``step`` in the transaction of every on-time capture of a ``reference_type`` payment."""
    _steps[reference_type] = step


def run(session: Session, reference_type: str, intent_id: int, reference_id: str) -> None:
    step = _steps.get(reference_type)
    if step is not None:
        step(session, intent_id, reference_id)

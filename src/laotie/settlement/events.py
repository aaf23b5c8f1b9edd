"""What settlement does when its own requests and the payout provider's answers come in (delivered by
the outbox worker after commit, each handler once per event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.settlement import service


@bus.subscribe("WithdrawalRequested", name="settlement.send_payout")
def on_withdrawal_requested(session: Session, ev: Event) -> None:
    # A provider that cannot be reached raises: the outbox retries with backoff, and the periodic
    # resend job catches what the outbox gives up on.
    service.send(session, int(ev.payload["withdrawal_id"]))


@bus.subscribe("PayoutPaid", name="settlement.payout_paid")
def on_payout_paid(session: Session, ev: Event) -> None:
    service.apply_result(session, ev.payload, paid=True)


@bus.subscribe("PayoutFailed", name="settlement.payout_failed")
def on_payout_failed(session: Session, ev: Event) -> None:
    service.apply_result(session, ev.payload, paid=False)

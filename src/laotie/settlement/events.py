"""What settlement does when its own requests and the payout provider's answers come in (delivered by
the outbox worker after commit, each handler once per event), and everything the domain registers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.payments import PayoutFailed, PayoutPaid
from laotie.events.settlement import WithdrawalRequested
from laotie.ledger import service as ledger
from laotie.settlement import service, tasks
from laotie.settlement.ledger_check import check_withdrawals


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(WithdrawalRequested, on_withdrawal_requested, name="settlement.send_payout")
    bus.subscribe(PayoutPaid, on_payout_paid, name="settlement.payout_paid")
    bus.subscribe(PayoutFailed, on_payout_failed, name="settlement.payout_failed")
    jobs.add("settlement.resend_stuck_withdrawals", 60, tasks.resend_stuck_withdrawals)
    ledger.register_check("settlement", check_withdrawals)


def on_withdrawal_requested(session: Session, ev: WithdrawalRequested) -> None:
    # A provider that cannot be reached raises: the outbox retries with backoff, and the periodic
    # resend job catches what the outbox gives up on.
    service.send(session, ev.withdrawal_id)


def on_payout_paid(session: Session, ev: PayoutPaid) -> None:
    service.apply_result(session, ev.payload(), paid=True)


def on_payout_failed(session: Session, ev: PayoutFailed) -> None:
    service.apply_result(session, ev.payload(), paid=False)

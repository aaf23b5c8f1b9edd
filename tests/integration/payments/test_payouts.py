"""Withdrawals go out through the payout provider; the bank's answer comes back by webhook as an event."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.payments import service as payments
from laotie.payments.schemas import BankAccount, PayoutStatus
from tests.factories.payments import deliver, events

GOOD = BankAccount(holder_name="东北山货源头店", account_number="6222020200112233445", bank_name="工商银行")
CLOSED = BankAccount(holder_name="已注销小店", account_number="6222020200110000", bank_name="建设银行")


def test_a_payout_is_idempotent_and_its_result_arrives_as_an_event(
    db: Database, session: Session, client: TestClient
) -> None:
    first = payments.send_payout(session, 50000, GOOD, "withdrawal-1", {"withdrawal_id": "1"})
    again = payments.send_payout(session, 50000, GOOD, "withdrawal-1", {"withdrawal_id": "1"})
    failing = payments.send_payout(session, 3000, CLOSED, "withdrawal-2", {"withdrawal_id": "2"})
    session.commit()
    assert first.status == PayoutStatus.PENDING and again.provider_payout_ref == first.provider_payout_ref
    assert deliver(db, client).acknowledged == 2  # one webhook per payout, not per call
    assert events(db, "PayoutPaid") == [
        {
            "provider_payout_ref": first.provider_payout_ref,
            "amount_fen": 50000,
            "failure_reason": "",
            "metadata": {"withdrawal_id": "1"},
        }
    ]
    [failed] = events(db, "PayoutFailed")
    assert (
        failed["provider_payout_ref"] == failing.provider_payout_ref
        and failed["failure_reason"] == "account_closed"
    )

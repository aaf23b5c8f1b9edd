"""Sending a requested withdrawal to the payout provider, and applying the bank's answer.

Both run in outbox handlers (and a periodic job that resends what got stuck), each in its own
transaction, with the withdrawal's row locked: a second delivery, or a second runner, finds the
withdrawal already moved and does nothing. The provider deduplicates by our key
``laotie-withdrawal-<id>``, so sending again after a lost answer never pays twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting, TransactionKind
from laotie.payments import service as payments
from laotie.payments.schemas import BankAccount, PayoutStatus
from laotie.settlement.lifecycle import load, move, record
from laotie.settlement.models import SettlementEventKind as E
from laotie.settlement.models import Withdrawal, WithdrawalStatus
from laotie.settlement.owners import Owner

log = logging.getLogger(__name__)

W = WithdrawalStatus
# Set on every payout we send, so that results of other domains' payouts are left alone.
METADATA_KEY = "settlement_withdrawal_id"


def provider_key(withdrawal_id: int) -> str:
    return f"laotie-withdrawal-{withdrawal_id}"


def send(session: Session, withdrawal_id: int) -> None:
    """Send a requested withdrawal; anything else is left as it is."""
    withdrawal = load(session, withdrawal_id, for_update=True)
    if withdrawal.status != W.REQUESTED:
        return
    result = payments.send_payout(
        session,
        withdrawal.amount_fen,
        BankAccount(
            holder_name=withdrawal.holder_name,
            account_number=withdrawal.account_number,
            bank_name=withdrawal.bank_name,
        ),
        provider_key(withdrawal.id),
        {
            METADATA_KEY: str(withdrawal.id),
            **{k: str(v) for k, v in Owner.of(withdrawal).columns.items() if v},
        },
    )
    withdrawal.provider_payout_ref = result.provider_payout_ref
    if result.status == PayoutStatus.FAILED:
        _fail(session, withdrawal, result.failure_reason or "refused")
    elif result.status == PayoutStatus.PAID:
        move(session, withdrawal, W.PAID, E.PAID, data={"provider_payout_ref": result.provider_payout_ref})
    else:
        move(
            session,
            withdrawal,
            W.PROCESSING,
            E.PAYOUT_SENT,
            data={"provider_payout_ref": result.provider_payout_ref},
        )


def _fail(session: Session, withdrawal: Withdrawal, reason: str) -> None:
    """The bank refused: the money goes back to the owner's available balance, exactly as booked."""
    owner = Owner.of(withdrawal)
    withdrawal.failure_reason = reason[:200]
    move(session, withdrawal, W.FAILED, E.FAILED, reason=reason)
    ledger.post(
        session,
        kind=TransactionKind.WITHDRAWAL_REVERSAL,
        reference_type="withdrawal",
        reference_id=withdrawal.id,
        postings=[
            Posting(AccountKind.PSP_CASH, withdrawal.amount_fen),
            Posting(owner.available, -withdrawal.amount_fen, owner.id),
        ],
        idempotency_key=f"settlement:withdrawal:{withdrawal.id}:reversal",
        memo=f"withdrawal {withdrawal.id} failed: {reason}",
    )


def apply_result(session: Session, payload: Mapping[str, Any], paid: bool) -> None:
    """A ``PayoutPaid`` or ``PayoutFailed`` event. Results for payouts that are not withdrawals are
    ignored; results that do not match the withdrawal are kept in its trail, never applied."""
    metadata = payload.get("metadata") or {}
    raw_id = str(metadata.get(METADATA_KEY) or "")
    if not raw_id.isdigit():
        return
    withdrawal = session.scalar(
        select(Withdrawal)
        .where(Withdrawal.id == int(raw_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if withdrawal is None:
        log.error("payout result for unknown withdrawal %s: %s", raw_id, dict(payload))
        return
    ref = str(payload.get("provider_payout_ref") or "")
    outcome = W.PAID if paid else W.FAILED
    why = ""
    if withdrawal.provider_payout_ref not in (None, ref):
        why = f"payout {ref} is not this withdrawal's ({withdrawal.provider_payout_ref})"
    elif payload.get("amount_fen") != withdrawal.amount_fen:
        why = f"the provider says {payload.get('amount_fen')} fen, the withdrawal is {withdrawal.amount_fen}"
    elif withdrawal.status in (W.PAID, W.FAILED):
        if withdrawal.status == outcome:
            return  # the same answer again
        why = f"the provider now says {outcome.value} but the withdrawal is already {withdrawal.status.value}"
    if why:
        log.error("withdrawal %s: payout result not applied: %s", withdrawal.id, why)
        record(
            session,
            Owner.of(withdrawal),
            E.PAYOUT_RESULT_IGNORED,
            None,
            why,
            withdrawal_id=withdrawal.id,
            data={"outcome": outcome.value, "provider_payout_ref": ref},
        )
        session.flush()
        return
    withdrawal.provider_payout_ref = ref or withdrawal.provider_payout_ref
    if paid:
        move(session, withdrawal, W.PAID, E.PAID, data={"provider_payout_ref": ref})
    else:
        _fail(session, withdrawal, str(payload.get("failure_reason") or "failed"))


def resend_stuck(session: Session, older_than: timedelta, limit: int = 100) -> list[int]:
    """Send again what is still ``requested`` after ``older_than`` (the outbox gave up, or the
    provider was down). Returns the ids tried; one that fails again stays for the next run."""
    ids = session.scalars(
        select(Withdrawal.id)
        .where(Withdrawal.status == W.REQUESTED, Withdrawal.created_at <= clock.now() - older_than)
        .order_by(Withdrawal.id)
        .limit(limit)
    ).all()
    for withdrawal_id in ids:
        try:
            with session.begin_nested():
                send(session, withdrawal_id)
        except AppError as exc:
            log.warning("withdrawal %s still not sent: %s", withdrawal_id, exc)
    return list(ids)

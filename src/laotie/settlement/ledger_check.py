"""The settlement part of `laotie ledger check`: each withdrawal's postings match what happened to it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, LedgerCheck
from laotie.settlement.models import Withdrawal, WithdrawalStatus
from laotie.settlement.owners import Owner


def check_withdrawals(session: Session, result: LedgerCheck) -> None:
    """Each withdrawal has moved exactly its amount from the shop (or the creator) to the bank, unless
    it failed, in which case it has moved nothing; and the ledger holds no withdrawal that does not
    exist."""
    nets = ledger.nets_by_reference(session, "withdrawal")
    rows = session.scalars(select(Withdrawal)).all()
    for row in rows:
        withdrawal_id, amount_fen, status, owner = row.id, row.amount_fen, row.status, Owner.of(row)
        expected = (
            {}
            if status == WithdrawalStatus.FAILED
            else {
                (owner.available, owner.id): amount_fen,
                (AccountKind.PSP_CASH, None): -amount_fen,
            }
        )
        booked = nets.pop(str(withdrawal_id), {})
        if booked != expected:
            result.problems.append(
                f"withdrawal {withdrawal_id} ({status.value}, {amount_fen} fen) has booked {booked}"
            )
    result.problems += [f"ledger books withdrawal {ref}, which does not exist" for ref in sorted(nets)]

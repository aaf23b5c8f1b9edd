"""Withdrawal states, the one function that changes them, and the settlement trail.

    requested --payout sent--> processing --bank: paid--> paid
                                          --bank: failed--> failed   (the money goes back)

A provider may answer before our record of sending it has committed, so ``paid`` and ``failed`` may
also be entered straight from ``requested``. Every move appends to the trail with who, what and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit
from laotie.core.transitions import Transitions
from laotie.core.transitions import move as move_state
from laotie.events.settlement import (
    WithdrawalFailed,
    WithdrawalMoved,
    WithdrawalPaid,
    WithdrawalProcessing,
)
from laotie.settlement import errors
from laotie.settlement.models import SettlementEvent, SettlementEventKind, Withdrawal, WithdrawalStatus
from laotie.settlement.owners import Owner
from laotie.settlement.schemas import SettlementEventOut, WithdrawalDetail, WithdrawalOut

W = WithdrawalStatus
# Where each state may go; anything else is a programming error.
TRANSITIONS: Transitions[WithdrawalStatus] = Transitions(
    {
        W.REQUESTED: {W.PROCESSING, W.PAID, W.FAILED},
        W.PROCESSING: {W.PAID, W.FAILED},
        W.PAID: set(),
        W.FAILED: set(),
    }
)
STAMP = {W.PROCESSING: "sent_at", W.PAID: "paid_at", W.FAILED: "failed_at"}
# The event each move announces.
ENTERED_EVENT: dict[W, type[WithdrawalMoved]] = {
    W.PROCESSING: WithdrawalProcessing,
    W.PAID: WithdrawalPaid,
    W.FAILED: WithdrawalFailed,
}


def record(
    session: Session,
    owner: Owner,
    kind: SettlementEventKind,
    actor_id: int | None,
    reason: str = "",
    *,
    withdrawal_id: int | None = None,
    from_status: WithdrawalStatus | None = None,
    to_status: WithdrawalStatus | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        SettlementEvent(
            **owner.columns,
            withdrawal_id=withdrawal_id,
            actor_id=actor_id,
            kind=kind,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            reason=reason[:1000],
            data=data or {},
            at=clock.now(),
        )
    )


def load(session: Session, withdrawal_id: int, *, for_update: bool = False) -> Withdrawal:
    query = select(Withdrawal).where(Withdrawal.id == withdrawal_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    withdrawal = session.scalar(query)
    if withdrawal is None:
        raise errors.WITHDRAWAL_NOT_FOUND(withdrawal_id=withdrawal_id)
    return withdrawal


def move(
    session: Session,
    withdrawal: Withdrawal,
    to: WithdrawalStatus,
    kind: SettlementEventKind,
    reason: str = "",
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move a withdrawal (loaded ``for_update``) into ``to``, record it and announce it."""

    def refuse(before: WithdrawalStatus, to: WithdrawalStatus) -> Exception:
        return RuntimeError(f"withdrawal {withdrawal.id} cannot go from {before.value} to {to.value}")

    def trail(before: WithdrawalStatus, to: WithdrawalStatus) -> None:
        now = clock.now()
        withdrawal.updated_at = now
        setattr(withdrawal, STAMP[to], now)
        record(
            session,
            Owner.of(withdrawal),
            kind,
            actor_id,
            reason,
            withdrawal_id=withdrawal.id,
            from_status=before,
            to_status=to,
            data=data,
        )

    move_state(withdrawal, to, TRANSITIONS, refuse=refuse, trail=trail)
    emit(
        session,
        ENTERED_EVENT[to](
            withdrawal_id=withdrawal.id,
            shop_id=withdrawal.shop_id,
            creator_id=withdrawal.creator_id,
            amount_fen=withdrawal.amount_fen,
            failure_reason=withdrawal.failure_reason,
        ),
    )
    session.flush()


def withdrawal_out(withdrawal: Withdrawal, replayed: bool = False) -> WithdrawalOut:
    return WithdrawalOut(
        id=withdrawal.id,
        shop_id=withdrawal.shop_id,
        creator_id=withdrawal.creator_id,
        requested_by=withdrawal.requested_by,
        amount_fen=withdrawal.amount_fen,
        status=withdrawal.status,
        holder_name=withdrawal.holder_name,
        bank_name=withdrawal.bank_name,
        account_masked=withdrawal.account_masked,
        provider_payout_ref=withdrawal.provider_payout_ref,
        failure_reason=withdrawal.failure_reason,
        created_at=withdrawal.created_at,
        sent_at=withdrawal.sent_at,
        paid_at=withdrawal.paid_at,
        failed_at=withdrawal.failed_at,
        replayed=replayed,
    )


def trail(session: Session, owner: Owner, withdrawal_id: int | None = None) -> list[SettlementEventOut]:
    query = select(SettlementEvent).where(owner.matches(SettlementEvent))
    if withdrawal_id is not None:
        query = query.where(SettlementEvent.withdrawal_id == withdrawal_id)
    rows = session.scalars(query.order_by(SettlementEvent.id)).all()
    return [
        SettlementEventOut(
            id=r.id,
            withdrawal_id=r.withdrawal_id,
            actor_id=r.actor_id,
            kind=r.kind,
            from_status=r.from_status,
            to_status=r.to_status,
            reason=r.reason,
            data=dict(r.data),
            at=r.at,
        )
        for r in rows
    ]


def withdrawal_detail(session: Session, withdrawal: Withdrawal) -> WithdrawalDetail:
    return WithdrawalDetail(
        **withdrawal_out(withdrawal).model_dump(),
        events=trail(session, Owner.of(withdrawal), withdrawal.id),
    )

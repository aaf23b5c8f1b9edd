"""A creator's (达人) settled commission as money it can take out: the payout account and withdrawals.

The machinery is settlement's (the shop withdrawal, generalised to a creator owner): the minimum,
the idempotency key, booking Dr COMMISSION_AVAILABLE / Cr PSP_CASH at request, the payout after
commit, the bank's answer. This module is the creator's door to it; the router checks the role.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.settlement import service as settlement
from laotie.settlement.schemas import (
    PayoutAccountIn,
    PayoutAccountOut,
    WithdrawalDetail,
    WithdrawalOut,
    WithdrawalStatus,
)


def creator_payout_account(session: Session, principal: Principal) -> PayoutAccountOut | None:
    return settlement.get_creator_payout_account(session, principal)


def set_creator_payout_account(
    session: Session, principal: Principal, body: PayoutAccountIn
) -> PayoutAccountOut:
    return settlement.set_creator_payout_account(session, principal, body)


def withdraw_commission(
    session: Session, principal: Principal, amount_fen: int, idempotency_key: str
) -> WithdrawalOut:
    """提现: settled commission to the creator's payout account, never more than is settled."""
    return settlement.request_creator_withdrawal(session, principal, amount_fen, idempotency_key)


def commission_withdrawals(
    session: Session, principal: Principal, params: PageParams, status: WithdrawalStatus | None = None
) -> Page[WithdrawalOut]:
    return settlement.creator_withdrawals(session, principal, params, status)


def commission_withdrawal(session: Session, principal: Principal, withdrawal_id: int) -> WithdrawalDetail:
    return settlement.creator_withdrawal(session, principal, withdrawal_id)

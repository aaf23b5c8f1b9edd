"""Settlement: a shop's money after it is earned. Balances (pending, available) come from the ledger;
this domain adds the payout account, withdrawals (提现) and their trail.

This module is the domain's public face. Orders books an order's net into SHOP_PENDING and moves it
to SHOP_AVAILABLE after the return window; from there the owner withdraws it. A creator's (达人)
commission settles into COMMISSION_AVAILABLE, and the creator withdraws it the same way
(``request_creator_withdrawal``, called by the affiliate domain, which checks the creator role). Governance freezes a
shop's withdrawals through ``laotie.shops.service.freeze_withdrawals``.

Events written: ``WithdrawalRequested`` (handled here: sends the payout), ``WithdrawalProcessing``,
``WithdrawalPaid``, ``WithdrawalFailed``. Events handled: ``PayoutPaid``, ``PayoutFailed``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.settlement.balances import creator_balance, shop_balance
from laotie.settlement.lifecycle import trail
from laotie.settlement.owners import Owner
from laotie.settlement.payout_account import (
    get_creator_payout_account,
    get_payout_account,
    mask_account_number,
    set_creator_payout_account,
    set_payout_account,
)
from laotie.settlement.payouts import apply_result, resend_stuck, send
from laotie.settlement.schemas import SettlementEventOut, WithdrawalDetail, WithdrawalOut, WithdrawalStatus
from laotie.settlement.withdrawals import (
    check_viewer,
    get_withdrawal,
    list_withdrawals,
    owner_withdrawal,
    owner_withdrawals,
    request_creator_withdrawal,
    request_withdrawal,
)

__all__ = [
    "apply_result",
    "creator_balance",
    "creator_withdrawal",
    "creator_withdrawals",
    "get_creator_payout_account",
    "get_payout_account",
    "get_withdrawal",
    "list_withdrawals",
    "mask_account_number",
    "request_creator_withdrawal",
    "request_withdrawal",
    "resend_stuck",
    "send",
    "set_creator_payout_account",
    "set_payout_account",
    "settlement_trail",
    "shop_balance",
]


def settlement_trail(session: Session, principal: Principal, shop_id: int) -> list[SettlementEventOut]:
    """Everything that happened to the shop's payout account and withdrawals (members and staff)."""
    check_viewer(session, principal, shop_id)
    return trail(session, Owner.shop(shop_id))


def creator_withdrawals(
    session: Session, principal: Principal, params: PageParams, status: WithdrawalStatus | None = None
) -> Page[WithdrawalOut]:
    """The creator's own withdrawals, newest first."""
    return owner_withdrawals(session, Owner.creator(principal.user_id), params, status)


def creator_withdrawal(session: Session, principal: Principal, withdrawal_id: int) -> WithdrawalDetail:
    """One of the creator's own withdrawals with its trail; anyone else's is WITHDRAWAL_NOT_FOUND."""
    return owner_withdrawal(session, Owner.creator(principal.user_id), withdrawal_id)

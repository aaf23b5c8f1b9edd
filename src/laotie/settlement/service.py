"""Settlement: a shop's money after it is earned. Balances (pending, available) come from the ledger;
this domain adds the payout account, withdrawals (提现) and their trail.

This module is the domain's public face. Orders books an order's net into SHOP_PENDING and moves it
to SHOP_AVAILABLE after the return window; from there the owner withdraws it. Governance freezes a
shop's withdrawals through ``laotie.shops.service.freeze_withdrawals``.

Events written: ``WithdrawalRequested`` (handled here: sends the payout), ``WithdrawalProcessing``,
``WithdrawalPaid``, ``WithdrawalFailed``. Events handled: ``PayoutPaid``, ``PayoutFailed``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.settlement.balances import shop_balance
from laotie.settlement.lifecycle import trail
from laotie.settlement.payout_account import get_payout_account, mask_account_number, set_payout_account
from laotie.settlement.payouts import apply_result, resend_stuck, send
from laotie.settlement.schemas import SettlementEventOut
from laotie.settlement.withdrawals import check_viewer, get_withdrawal, list_withdrawals, request_withdrawal

__all__ = [
    "apply_result",
    "get_payout_account",
    "get_withdrawal",
    "list_withdrawals",
    "mask_account_number",
    "request_withdrawal",
    "resend_stuck",
    "send",
    "set_payout_account",
    "settlement_trail",
    "shop_balance",
]


def settlement_trail(session: Session, principal: Principal, shop_id: int) -> list[SettlementEventOut]:
    """Everything that happened to the shop's payout account and withdrawals (members and staff)."""
    check_viewer(session, principal, shop_id)
    return trail(session, shop_id)

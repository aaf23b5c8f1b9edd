"""After-sales (售后): returns, refund only, price protection and disputes.

Other domains and the routes use only these functions. The work is split by use case: ``opening``
(what a buyer may ask for), ``flow`` (the steps and their timeouts), ``protection`` (七天保价),
``disputes`` (纠纷判责), ``payback`` (the one path money goes back, with exact ledger reversals),
``credit`` (return-shipping compensation paid out to the buyer), ``evidence`` and ``queries``.
"""

from __future__ import annotations

from laotie.aftersales.credit import apply_result as apply_credit_payout_result
from laotie.aftersales.credit import send as send_credit_payout
from laotie.aftersales.credit import send_due as send_due_credit_payouts
from laotie.aftersales.disputes import decide, dispute_view
from laotie.aftersales.evidence import read as read_evidence
from laotie.aftersales.evidence import upload as upload_evidence
from laotie.aftersales.flow import (
    approve,
    cancel,
    escalate,
    receive,
    refund_received,
    reject,
    run_timeouts,
    ship_back,
)
from laotie.aftersales.opening import open_case, refund_only_abusive
from laotie.aftersales.platform import PlatformRefund, platform_refund
from laotie.aftersales.platform_bulk import platform_refund_many
from laotie.aftersales.queries import buyer_cases, get_case, governance_queue, shop_cases

__all__ = [
    "PlatformRefund",
    "apply_credit_payout_result",
    "approve",
    "buyer_cases",
    "cancel",
    "decide",
    "dispute_view",
    "escalate",
    "get_case",
    "governance_queue",
    "open_case",
    "platform_refund",
    "platform_refund_many",
    "read_evidence",
    "receive",
    "refund_only_abusive",
    "refund_received",
    "reject",
    "run_timeouts",
    "send_credit_payout",
    "send_due_credit_payouts",
    "ship_back",
    "shop_cases",
    "upload_evidence",
]

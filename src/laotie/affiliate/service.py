"""好物联盟 (affiliate alliance): merchants offer products to creators at a commission rate; creators
pick them for their showcase and live cart and earn commission on the orders they bring.

Other domains use only these functions: ``offered_rate_bp`` (the live cart), ``rates_for`` (orders,
at placement, to lock each line's rate), ``showcased`` and ``active_rates`` (orders, to verify a
creator attribution: the creator must hold the product under an active offer).
Creators take settled commission out through ``withdraw_commission`` (settlement's withdrawal,
generalised to a creator owner).
"""

from __future__ import annotations

from laotie.affiliate.earnings import earnings
from laotie.affiliate.market import (
    add_to_showcase,
    is_creator,
    market,
    rates_for,
    remove_from_showcase,
    showcase,
    showcased,
)
from laotie.affiliate.offers import (
    active_rates,
    check_rate,
    offer_history,
    offered_rate_bp,
    set_offer,
    shop_offers,
    withdraw_offer,
)
from laotie.affiliate.withdrawals import (
    commission_withdrawal,
    commission_withdrawals,
    creator_payout_account,
    set_creator_payout_account,
    withdraw_commission,
)

__all__ = [
    "active_rates",
    "add_to_showcase",
    "check_rate",
    "commission_withdrawal",
    "commission_withdrawals",
    "creator_payout_account",
    "earnings",
    "is_creator",
    "market",
    "offer_history",
    "offered_rate_bp",
    "rates_for",
    "remove_from_showcase",
    "set_creator_payout_account",
    "set_offer",
    "shop_offers",
    "showcase",
    "showcased",
    "withdraw_commission",
    "withdraw_offer",
]

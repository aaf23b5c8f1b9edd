"""Every domain's table of allowed moves (``core.transitions.Transitions``) names only members of its
own status enum, and gives every member a row (a final state maps to nothing), so a state added to an
enum without deciding where it may go is caught here."""

from __future__ import annotations

import enum

import pytest

from laotie.aftersales import credit
from laotie.aftersales import state as aftersales_state
from laotie.aftersales.models import CaseStatus, CreditPayoutStatus
from laotie.catalog import lifecycle as product_lifecycle
from laotie.catalog.models import ProductStatus
from laotie.core.transitions import Transitions
from laotie.governance import models as governance
from laotie.orders import lifecycle as order_lifecycle
from laotie.orders.models import OrderStatus
from laotie.payments import intents
from laotie.payments.models import IntentStatus
from laotie.promotions.models import ENROLMENT_TRANSITIONS, EnrolmentStatus
from laotie.settlement import lifecycle as withdrawal_lifecycle
from laotie.settlement.models import WithdrawalStatus
from laotie.shops import state as shop_state
from laotie.shops.models import ShopStatus

TABLES: dict[str, tuple[Transitions[enum.StrEnum], type[enum.StrEnum]]] = {
    "orders": (order_lifecycle.TRANSITIONS, OrderStatus),
    "aftersales cases": (aftersales_state.TRANSITIONS, CaseStatus),
    "aftersales credit payouts": (credit.TRANSITIONS, CreditPayoutStatus),
    "products": (product_lifecycle.TRANSITIONS, ProductStatus),
    "shops": (shop_state.TRANSITIONS, ShopStatus),
    "payment intents": (intents.TRANSITIONS, IntentStatus),
    "withdrawals": (withdrawal_lifecycle.TRANSITIONS, WithdrawalStatus),
    "campaign enrolments": (ENROLMENT_TRANSITIONS, EnrolmentStatus),
    "governance reports": (governance.REPORT_TRANSITIONS, governance.ReportStatus),
    "governance cases": (governance.CASE_TRANSITIONS, governance.CaseStatus),
    "governance appeals": (governance.APPEAL_TRANSITIONS, governance.AppealStatus),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_a_table_names_only_its_enum_and_every_member_has_a_row(name: str) -> None:
    table, states = TABLES[name]
    named = set(table.moves) | {to for targets in table.moves.values() for to in targets}
    strangers = [s for s in named if not isinstance(s, states)]
    assert strangers == [], f"{name}: not {states.__name__} members: {strangers}"
    assert set(table.moves) == set(states), f"{name}: no row for {set(states) - set(table.moves)}"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_no_state_moves_to_itself(name: str) -> None:
    table, _ = TABLES[name]
    assert [s for s, targets in table.moves.items() if s in targets] == []


def test_each_product_action_is_a_move_of_the_table_and_the_actions_cover_it() -> None:
    by_actions = {(s, to) for sources, to in product_lifecycle.ACTIONS.values() for s in sources}
    table = {(s, to) for s, targets in product_lifecycle.TRANSITIONS.moves.items() for to in targets}
    assert by_actions == table


@pytest.mark.parametrize(
    ("status_filter", "enum_type"),
    [
        ("ReportFilter", governance.ReportStatus),
        ("CaseFilter", governance.CaseStatus),
        ("AppealFilter", governance.AppealStatus),
    ],
)
def test_a_governance_queue_filter_names_exactly_its_statuses(status_filter: str, enum_type: type) -> None:
    from typing import get_args

    from laotie.governance import router

    assert set(get_args(getattr(router, status_filter))) == {m.value for m in enum_type}

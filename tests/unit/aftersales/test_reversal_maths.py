"""The one place a refund's share of an order's bookings is rounded (ledger.reversal)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.ledger.reversal import allocate, remaining_booked, reversal_postings
from laotie.ledger.schemas import AccountKind as K


def test_allocate_by_largest_remainder() -> None:
    assert allocate(100, [1, 1, 1], 3) == [34, 33, 33]
    assert allocate(10, [50, 30, 20], 100) == [5, 3, 2]
    assert allocate(7, [3, 3], 6) == [4, 3]
    assert allocate(0, [5, 5], 10) == [0, 0]
    with pytest.raises(ValueError):
        allocate(1, [1, 1], 3)


def test_a_completed_order_reverses_pro_rata_and_exactly() -> None:
    # 100.00 paid: shop 95.00, fee 4.50, growth 0.50 (as orders.fulfilment books completion).
    net = {
        (K.PLATFORM_CLEARING, None): 10000,
        (K.SHOP_PENDING, 7): -9500,
        (K.PLATFORM_FEE_REVENUE, None): -450,
        (K.GROWTH_FUND, None): -50,
        (K.PSP_CASH, None): 10000,  # funding side: never reversed
    }
    legs = {(p.kind, p.owner_id): p.amount_fen for p in reversal_postings(net, 3333)}
    assert legs == {(K.SHOP_PENDING, 7): 3166, (K.PLATFORM_FEE_REVENUE, None): 150, (K.GROWTH_FUND, None): 17}
    assert sum(legs.values()) == 3333
    assert remaining_booked(net) == 10000
    with pytest.raises(ValueError):
        reversal_postings(net, 10001)


def test_a_subsidy_leg_reverses_on_its_own_side() -> None:
    # The platform paid 20.00 of the price: the shop got 120.00 for a 100.00 payment.
    net = {(K.SUBSIDY_EXPENSE, None): 2000, (K.SHOP_PENDING, 1): -11400, (K.PLATFORM_FEE_REVENUE, None): -600}
    legs = {(p.kind, p.owner_id): p.amount_fen for p in reversal_postings(net, 10000)}
    assert legs == {
        (K.SUBSIDY_EXPENSE, None): -2000,
        (K.SHOP_PENDING, 1): 11400,
        (K.PLATFORM_FEE_REVENUE, None): 600,
    }


ACCOUNTS = [
    (K.SHOP_PENDING, 1),
    (K.SHOP_AVAILABLE, 1),
    (K.PLATFORM_FEE_REVENUE, None),
    (K.GROWTH_FUND, None),
    (K.COMMISSION_PAYABLE, 9),
]


@st.composite
def bookings(draw: st.DrawFn) -> dict[tuple[K, int | None], int]:
    """An order's distribution: credits to the shop and platform, maybe a subsidy debit."""
    credits = draw(st.lists(st.integers(0, 500_000), min_size=len(ACCOUNTS), max_size=len(ACCOUNTS)))
    net: dict[tuple[K, int | None], int] = {a: -c for a, c in zip(ACCOUNTS, credits, strict=True) if c}
    subsidy = draw(st.integers(0, sum(credits) // 2))
    if subsidy:
        net[(K.SUBSIDY_EXPENSE, None)] = subsidy
    return net


@settings(max_examples=300, deadline=None)
@given(bookings(), st.lists(st.integers(1, 10**6), max_size=8))
def test_any_sequence_of_partial_refunds_reverses_exactly(
    net: dict[tuple[K, int | None], int], wishes: list[int]
) -> None:
    start = dict(net)
    paid = remaining_booked(net)
    refunded = 0
    for wish in wishes:
        left = remaining_booked(net)
        if wish > left:
            with pytest.raises(ValueError):  # never more than is left
                reversal_postings(net, wish)
            continue
        legs = reversal_postings(net, wish)
        assert sum(p.amount_fen for p in legs) == wish  # whole fen that add up
        for p in legs:
            before = net[(p.kind, p.owner_id)]
            after = before + p.amount_fen
            # No leg is reversed past zero or flipped to the other side.
            assert (before <= after <= 0) or (0 <= after <= before)
            # Each leg's share is within one fen of its exact share.
            assert abs(p.amount_fen * left + before * wish) < left
            net[(p.kind, p.owner_id)] = after
        refunded += wish
        assert remaining_booked(net) == paid - refunded
    # Refunding whatever is left undoes every leg exactly, whatever came before.
    last = remaining_booked(net)
    for p in reversal_postings(net, last):
        net[(p.kind, p.owner_id)] += p.amount_fen
    assert all(v == 0 for v in net.values()), (start, net)

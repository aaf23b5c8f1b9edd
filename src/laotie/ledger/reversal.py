"""Exact pro-rata reversals: the one place a refund's share of an order's bookings is rounded.

An order's money, once the order completes, sits in *distribution* legs: the shop's share (pending or,
after settlement, available), the platform fee, the growth fund, and whatever other domains booked
for the order (a platform subsidy debiting SUBSIDY_EXPENSE, a creator's commission, a shipping leg).
The *funding* legs say where the money came from: the buyer's payment in clearing, a pay-after-use
receivable, cash at the provider. A refund of ``amount`` out of ``remaining`` takes back from every
distribution leg the same fraction, rounded to whole fen by largest remainder so that:

- the reversal legs sum to exactly ``amount`` (the money goes back to clearing, then to the buyer);
- no leg is reversed by more than what is left on it, and no leg changes sign;
- a refund of everything that remains reverses every leg exactly, whatever partial refunds came
  before: a sequence of partial refunds that adds up to the whole leaves every account at zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from laotie.ledger.schemas import AccountKind, Posting

# Where an order's money comes from, never where it went: a reversal leaves these alone.
FUNDING_KINDS = frozenset(
    {
        AccountKind.PLATFORM_CLEARING,
        AccountKind.PAY_LATER_RECEIVABLE,
        AccountKind.PSP_CASH,
        AccountKind.REFUNDS_SENT,
        AccountKind.BUYER_CREDIT,
    }
)

Net = Mapping[tuple[AccountKind, int | None], int]


def distribution(net: Net) -> dict[tuple[AccountKind, int | None], int]:
    """The legs of an order's net bookings that a refund reverses (all but the funding side)."""
    return {key: amount for key, amount in net.items() if amount and key[0] not in FUNDING_KINDS}


def allocate(amount: int, weights: Iterable[int], total: int) -> list[int]:
    """Split ``amount`` over ``weights`` (which sum to ``total``) in proportion, whole units that sum
    to ``amount``, by largest remainder (ties to the earlier weight). Weights may be negative (a leg
    on the other side); then ``0 <= |share| <= |weight|`` still holds when ``0 <= amount <= total``."""
    values = list(weights)
    if total == 0:
        if amount:
            raise ValueError("cannot allocate a non-zero amount over weights summing to zero")
        return [0] * len(values)
    if sum(values) != total:
        raise ValueError(f"weights sum to {sum(values)}, not {total}")
    exact = [Fraction(w * amount, total) for w in values]
    floors = [int(x.__floor__()) for x in exact]
    short = amount - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:short]:
        floors[i] += 1
    return floors


def reversal_postings(net: Net, amount: int) -> list[Posting]:
    """The legs that take ``amount`` back out of an order's distribution, pro rata, as debits and
    credits opposite to what was booked, plus nothing else: the caller adds the credit to clearing
    (``Posting(PLATFORM_CLEARING, -amount)``) that balances them.

    ``net`` is what the ledger holds for the order (``ledger.service.net_for``); what is left to
    refund is minus the sum of its distribution legs (they are credits to the shop and the platform,
    offset by any debits such as a subsidy)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"amount must be whole non-negative fen, got {amount!r}")
    legs = sorted(distribution(net).items(), key=lambda item: (item[0][0].value, item[0][1] or 0))
    remaining = -sum(v for _, v in legs)
    if amount > remaining:
        raise ValueError(f"cannot reverse {amount} fen: only {remaining} fen remain booked")
    # Reversing a credit of -x by a share s books +s; weights are the credits seen as positive.
    shares = allocate(amount, [-v for _, v in legs], remaining)
    return [
        Posting(kind, share, owner) for ((kind, owner), _), share in zip(legs, shares, strict=True) if share
    ]


def remaining_booked(net: Net) -> int:
    """What an order's distribution still holds: the most a reversal may take back."""
    return -sum(distribution(net).values())

"""Attribution's money and checks: creator commission (好物联盟) and video attribution.

- At placement, each line of an order attributed to a creator gets the alliance rate that holds at
  that moment (``locked_rates``), copied to ``OrderLine.commission_rate_bp``: later rate changes or
  withdrawals never change it. A product not offered to creators, or a ``creator_id`` that is not a
  creator, locks rate 0: the order is placed and earns no commission (it is not refused).
- At completion the creator's commission is credited to ``commission_payable`` (owner = creator) and
  taken from the merchant's share; the base is what the merchant sells at: line total less the
  discounts the shop funds. At settlement it moves to ``commission_available``.
- A video attribution must name a published video that links every product bought (``check``).
- Who is credited is verified on the server, never taken from the buyer (``verify``, issue 9 item
  2): a creator only for products in their showcase or on their live room's cart under an active
  alliance offer; a live session only while it is live, and only for the orders of shops whose
  products are on its cart. What does not check out is dropped: the order keeps its channel and is
  attributed to no creator or session. It is never refused for it. The live domain (above orders)
  answers for its sessions through ``on_live_lookup``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core.money import share_of
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.orders.models import Order, OrderLine
from laotie.orders.schemas import Attribution, CheckoutIn
from laotie.video import service as video


def locked_rates(session: Session, orders: list[tuple[int | None, list[int]]]) -> list[dict[int, int]]:
    """For each (creator_id, product ids) of the orders being written: product id -> rate bp."""
    wanted: dict[int, set[int]] = {}
    for creator_id, product_ids in orders:
        if creator_id is not None:
            wanted.setdefault(creator_id, set()).update(product_ids)
    rates = {c: affiliate.rates_for(session, c, sorted(p)) for c, p in wanted.items()}
    return [rates.get(creator_id, {}) if creator_id is not None else {} for creator_id, _ in orders]


def _shop_funded(discounts: list[dict[str, object]]) -> int:
    return sum(int(d.get("amount_fen", 0) or 0) for d in discounts if d.get("funded_by") == "shop")  # type: ignore[call-overload]


def commission_fen(session: Session, order_id: int, creator_id: int | None) -> int:
    """The creator's commission on an order, at the rates locked on its lines."""
    if creator_id is None:
        return 0
    lines = session.execute(
        select(OrderLine.line_total_fen, OrderLine.discounts, OrderLine.commission_rate_bp).where(
            OrderLine.order_id == order_id
        )
    ).all()
    return sum(
        share_of(total - _shop_funded(discounts or []), rate) for total, discounts, rate in lines if rate
    )


def commission_postings(order: Order, commission: int) -> list[Posting]:
    """The completion leg: Cr commission payable to the creator (the shop's credit is smaller by it)."""
    if not commission or order.creator_id is None:
        return []
    return [Posting(K.COMMISSION_PAYABLE, -commission, owner_id=order.creator_id)]


def settlement_postings(creator_id: int | None, commission: int) -> list[Posting]:
    """After the return window: the creator's commission moves from pending to settled."""
    if not commission or creator_id is None:
        return []
    return [
        Posting(K.COMMISSION_PAYABLE, commission, owner_id=creator_id),
        Posting(K.COMMISSION_AVAILABLE, -commission, owner_id=creator_id),
    ]


def check(session: Session, body: CheckoutIn) -> Verified:
    """A video attribution must reference a published video linking every product bought; then the
    rest is verified (``verify``)."""
    attribution = body.attribution
    skus = catalog.skus_for_sale(session, [line.sku_id for line in body.lines])
    product_ids = sorted({s.product_id for s in skus.values()})
    if attribution.video_id is not None:
        video.check_attribution(session, attribution.video_id, product_ids, attribution.creator_id)
    return verify(session, attribution, product_ids)


@dataclass(frozen=True)
class LiveCart:
    """What the live domain says of a session: on air now, what its cart holds, whose room it is."""

    live: bool
    product_ids: frozenset[int]
    shop_ids: frozenset[int]
    creator_id: int | None  # the room's owner when it is a creator's room (no shop)


# (session, live_session_id) -> the session's cart, or None when there is no such session.
LiveLookup = Callable[[Session, int], LiveCart | None]
_live_lookup: list[LiveLookup] = []


def on_live_lookup(lookup: LiveLookup) -> None:
    """The live domain registers how to read a session for attribution (one lookup)."""
    _live_lookup[:] = [lookup]


@dataclass(frozen=True)
class Verified:
    """The attribution as the server accepts it; per order (one shop) through the two methods."""

    channel: str
    video_id: int | None = None
    live_session_id: int | None = None
    live_shops: frozenset[int] = field(default_factory=frozenset)
    creator_id: int | None = None
    credited: frozenset[int] = field(default_factory=frozenset)  # products the creator may earn on

    def live_session_for(self, shop_id: int) -> int | None:
        return self.live_session_id if shop_id in self.live_shops else None

    def creator_for(self, product_ids: Iterable[int]) -> int | None:
        return self.creator_id if self.credited.intersection(product_ids) else None


def verify(session: Session, claimed: Attribution, product_ids: list[int]) -> Verified:
    """What of the buyer's ``claimed`` attribution holds (see the module's docstring)."""
    cart: LiveCart | None = None
    if claimed.live_session_id is not None and _live_lookup:
        cart = _live_lookup[0](session, claimed.live_session_id)
        if cart is not None and not cart.live:
            cart = None
    credited: set[int] = set()
    creator_id = claimed.creator_id
    if creator_id is not None:
        credited = affiliate.showcased(session, creator_id, product_ids)
        if claimed.video_id is not None:  # ``check`` passed: the creator's own video links them all
            credited |= set(affiliate.active_rates(session, product_ids))
        if cart is not None and cart.creator_id == creator_id:
            on_cart = [p for p in product_ids if p in cart.product_ids]
            credited |= set(affiliate.active_rates(session, on_cart)) if on_cart else set()
    return Verified(
        channel=claimed.channel.value,
        video_id=claimed.video_id,
        live_session_id=claimed.live_session_id if cart is not None else None,
        live_shops=cart.shop_ids if cart is not None else frozenset(),
        creator_id=creator_id if credited else None,
        credited=frozenset(credited),
    )


def locked_rates_verified(
    session: Session, orders: list[tuple[int | None, list[int]]], credited: list[frozenset[int]]
) -> list[dict[int, int]]:
    """``locked_rates`` for products the creator was verified to hold only (others lock 0)."""
    rates = locked_rates(session, orders)
    return [{p: r for p, r in got.items() if p in held} for got, held in zip(rates, credited, strict=True)]

"""Attribution's money and checks: creator commission (好物联盟) and video attribution.

- At placement, each line of an order attributed to a creator gets the alliance rate that holds at
  that moment (``locked_rates``), copied to ``OrderLine.commission_rate_bp``: later rate changes or
  withdrawals never change it. A product not offered to creators, or a ``creator_id`` that is not a
  creator, locks rate 0: the order is placed and earns no commission (it is not refused).
- At completion the creator's commission is credited to ``commission_payable`` (owner = creator) and
  taken from the merchant's share; the base is what the merchant sells at: line total less the
  discounts the shop funds. At settlement it moves to ``commission_available``.
- A video attribution must name a published video that links every product bought (``check``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core.money import share_of
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.orders.models import Order, OrderLine
from laotie.orders.schemas import CheckoutIn
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


def check(session: Session, body: CheckoutIn) -> None:
    """A video attribution must reference a published video linking every product bought."""
    attribution = body.attribution
    if attribution.video_id is None:
        return
    skus = catalog.skus_for_sale(session, [line.sku_id for line in body.lines])
    product_ids = sorted({s.product_id for s in skus.values()})
    video.check_attribution(session, attribution.video_id, product_ids, attribution.creator_id)

"""七天保价 (7-day price protection), on claim.

Why on claim rather than automatic (docs/aftersales.md): a price change can touch thousands of
orders of one SKU (a flash sale ending, a campaign price); paying each of them from a job would
refund buyers who are mid-return or mid-dispute and move money nobody asked for, and the buyer's
claim is one deliberate, idempotent request with its evidence attached. The evidence is the
catalog's price history: every price a SKU took, campaign prices included, with when.

The buyer gets, per line, what is left paid on the units they still hold minus the lowest price the
identical SKU had between payment and ``price_protection_days`` after it, never more than is left
paid. What an earlier claim paid is already deducted (it lowered what is left paid), so a second,
deeper drop pays only the further difference; a later return deducts what protection paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from laotie.aftersales import amounts, errors
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.orders.service import RefundableOrder
from laotie.promotions import service as promotions
from laotie.settings import get_settings


def lowest_price(session: Session, sku_id: int, since: Any, until: Any) -> tuple[int, dict[str, Any]] | None:
    """The lowest price the SKU took after ``since`` up to ``until``, and the change that set it."""
    best: tuple[int, dict[str, Any]] | None = None
    for change in catalog.price_history(session, sku_id):
        if since < change.changed_at <= until and (best is None or change.new_price_fen < best[0]):
            best = (
                change.new_price_fen,
                {
                    "price_change_id": change.id,
                    "changed_at": change.changed_at.isoformat(),
                    "reason": change.reason,
                },
            )
    # A campaign price (116, 双11) is a price drop too, from the moment it is in force.
    for offer in promotions.campaign_prices(session, sku_id, since, until):
        if best is None or offer["price_fen"] < best[0]:
            best = (
                offer["price_fen"],
                {
                    "campaign_id": offer["campaign_id"],
                    "campaign_item_id": offer["campaign_item_id"],
                    "changed_at": offer["at"].isoformat(),
                    "reason": f"活动价：{offer['campaign']}",
                },
            )
    return best


def claim_lines(
    session: Session,
    order: RefundableOrder,
    left: dict[int, amounts.LineLeft],
    wanted: Sequence[tuple[int, int]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    days = get_settings().price_protection_days
    if order.paid_at is None:
        raise errors.ORDER_NOT_ELIGIBLE(reason="订单未支付")
    until = order.paid_at + timedelta(days=days)
    now = clock.now()
    if now > until:
        raise errors.PRICE_PROTECTION_EXPIRED(days=days)
    line_ids = [line_id for line_id, _ in wanted] or list(left)
    unknown = [i for i in line_ids if i not in left]
    if unknown:
        raise errors.INVALID_LINES(reason=f"订单中没有商品行 {unknown[0]}")
    chosen: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for line_id in line_ids:
        line_left = left[line_id]
        found = lowest_price(session, line_left.line.sku_id, order.paid_at, min(now, until))
        if found is None:
            continue
        price, change = found
        amount = amounts.protection_amount(line_left, price)
        if amount <= 0:
            continue
        chosen.append(
            {
                "line_id": line_id,
                "sku_id": line_left.line.sku_id,
                "title": line_left.line.title,
                "quantity": line_left.units_left,
                "units": 0,
                "amount_fen": amount,
                "lowest_price_fen": price,
                # What the amount was computed from: the payment is refused if the line moved since.
                "seen_refunded_fen": line_left.line.refunded_fen,
                "seen_protected_price_fen": line_left.line.protected_price_fen,
            }
        )
        evidence.append({"sku_id": line_left.line.sku_id, "lowest_price_fen": price, **change})
    if not chosen:
        raise errors.NO_PRICE_DROP(days=days)
    return chosen, {"price_evidence": evidence}

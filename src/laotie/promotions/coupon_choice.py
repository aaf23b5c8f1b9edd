"""Which of a buyer's coupons fit a cart, why the others do not, and the combination that saves most.

The stacking rules (``pricing``) allow one shop coupon per shop and one platform coupon per checkout,
the platform coupon's threshold measured after the shop coupons. So the biggest shop coupon is not
always best: it can pull the total under a platform coupon's threshold. ``best_combination`` prices
every allowed combination through the same ``pricing.price`` the checkout uses and keeps the lowest
payable (ties: fewer coupons, then lower ids), so what the page proposes is what the order will charge.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.promotions.models import Budget, BuyerCoupon, Coupon
from laotie.promotions.offers import load_book, offers_for
from laotie.promotions.pricing import CartLine, CouponOffer, Offers, price

# Combinations priced at most; beyond it each shop keeps only its few biggest distinct savings.
MAX_COMBINATIONS = 512
SHOP_OPTIONS_WHEN_MANY = 3

NOT_YET = "not_yet"  # 未到使用时间
EXPIRED = "expired"  # 已过期 (or switched off by its issuer)
OTHER_SHOP = "other_shop"  # 仅限某店: none of the cart's lines is from that shop
SHORT = "short"  # 差¥x可用: the threshold is not reached
BUDGET = "budget"  # 补贴已发完: the platform budget behind it has run out
NO_SAVING = "no_saving"  # threshold reached but nothing left to take off (every line at its floor)


@dataclass(frozen=True)
class Unusable:
    buyer_coupon_id: int
    reason: str
    short_fen: int = 0  # for SHORT: how much more the buyer must spend
    shop_id: int | None = None  # for OTHER_SHOP: the shop the coupon is for
    valid_from: datetime | None = None  # for NOT_YET


@dataclass
class CouponChoices:
    usable: list[int] = field(default_factory=list)  # buyer coupon ids that can apply to this cart
    unusable: list[Unusable] = field(default_factory=list)
    best: list[int] = field(default_factory=list)  # the combination with the lowest payable
    best_payable_fen: int = 0
    scope: dict[int, int | None] = field(default_factory=dict)  # buyer coupon id -> shop id (None: platform)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _wallet(session: Session, buyer_id: int) -> list[tuple[CouponOffer, bool, datetime, datetime]]:
    rows = session.execute(
        select(
            BuyerCoupon.id,
            Coupon.id,
            Coupon.shop_id,
            Coupon.funded_by,
            Coupon.threshold_fen,
            Coupon.cut_fen,
            Coupon.percent_off_bp,
            Coupon.cap_fen,
            Coupon.budget_id,
            (Budget.budget_fen - Budget.spent_fen),
            Coupon.active,
            Coupon.valid_from,
            Coupon.valid_until,
        )
        .join(Coupon, Coupon.id == BuyerCoupon.coupon_id)
        .outerjoin(Budget, Budget.id == Coupon.budget_id)
        .where(BuyerCoupon.buyer_id == buyer_id, BuyerCoupon.status == "available")
        .order_by(BuyerCoupon.id)
        .limit(200)
    ).all()
    return [
        (
            CouponOffer(
                bc, c, shop, funded, threshold, cut, bp, cap, budget, None if left is None else int(left)
            ),
            bool(active),
            _aware(start),
            _aware(end),
        )
        for bc, c, shop, funded, threshold, cut, bp, cap, budget, left, active, start, end in rows
    ]


def _with(base: Offers, coupons: list[CouponOffer]) -> Offers:
    return Offers(base.campaign, base.subsidy, base.multibuys, coupons, base.deals)


def _alone(cart: list[CartLine], base: Offers, coupon: CouponOffer) -> tuple[int, int]:
    """(saving of this coupon used alone, the amount its threshold is measured against)."""
    priced = price(cart, _with(base, [coupon]))
    saving = sum(
        d.amount_fen for p in priced.lines for d in p.discounts if d.ref_id == coupon.buyer_coupon_id
    )
    plain = price(cart, base)
    measured = [p for p in plain.lines if not p.deal and coupon.shop_id in (None, p.line.shop_id)]
    return saving, sum(p.final_fen for p in measured)


def best_combination(cart: list[CartLine], base: Offers, usable: list[CouponOffer]) -> tuple[list[int], int]:
    """The usable coupons' combination allowed by the stacking rules with the lowest payable.
    Pure: prices each combination with ``pricing.price``."""
    by_shop: dict[int, list[CouponOffer]] = {}
    platform: list[CouponOffer] = []
    for c in usable:
        (platform if c.shop_id is None else by_shop.setdefault(c.shop_id, [])).append(c)
    options: list[list[CouponOffer | None]] = []
    for coupons in by_shop.values():
        options.append([None, *_distinct_savings(cart, base, coupons)])
    options.append([None, *platform])
    if _count(options) > MAX_COMBINATIONS:
        options = [[None, *opts[1 : SHOP_OPTIONS_WHEN_MANY + 1]] for opts in options[:-1]] + [options[-1]]
    best: tuple[int, int, list[int]] | None = None
    for combo in itertools.product(*options):
        chosen = [c for c in combo if c is not None]
        priced = price(cart, _with(base, chosen))
        if priced.unused_coupons:
            continue  # a coupon that this combination leaves under its threshold is not a choice
        ids = sorted(c.buyer_coupon_id for c in chosen)
        key = (priced.final_fen, len(ids), ids)
        if best is None or key < (best[0], best[1], best[2]):
            best = (priced.final_fen, len(ids), ids)
    if best is None:
        return [], price(cart, base).final_fen
    return best[2], best[0]


def _distinct_savings(cart: list[CartLine], base: Offers, coupons: list[CouponOffer]) -> list[CouponOffer]:
    """One coupon per distinct saving, biggest first (two coupons saving the same are the same choice
    for the total; the lower id is kept)."""
    seen: dict[int, CouponOffer] = {}
    for c in sorted(coupons, key=lambda c: c.buyer_coupon_id):
        seen.setdefault(_alone(cart, base, c)[0], c)
    return [seen[s] for s in sorted(seen, reverse=True)]


def _count(options: list[list[CouponOffer | None]]) -> int:
    n = 1
    for opts in options:
        n *= len(opts)
    return n


def coupon_choices(
    session: Session, buyer_id: int, cart: list[CartLine], now: datetime, deal_ok: bool = False
) -> CouponChoices:
    """The buyer's unused coupons sorted for this cart: usable ones, the others with why not, and
    the best combination. Reads only; claims nothing."""
    book = load_book(session, {line.sku_id for line in cart}, {line.shop_id for line in cart}, now)
    base = offers_for(book, [], deal_ok)
    shops = {line.shop_id for line in cart}
    out = CouponChoices()
    fits: list[CouponOffer] = []
    for offer, active, start, end in _wallet(session, buyer_id):
        bc = offer.buyer_coupon_id
        out.scope[bc] = offer.shop_id
        if not active or now >= end:
            out.unusable.append(Unusable(bc, EXPIRED))
        elif now < start:
            out.unusable.append(Unusable(bc, NOT_YET, valid_from=start))
        elif offer.shop_id is not None and offer.shop_id not in shops:
            out.unusable.append(Unusable(bc, OTHER_SHOP, shop_id=offer.shop_id))
        elif offer.budget_left_fen is not None and offer.budget_left_fen < max(offer.cut_fen, 1):
            out.unusable.append(Unusable(bc, BUDGET))
        else:
            saving, measured = _alone(cart, base, offer)
            if saving > 0:
                fits.append(offer)
                out.usable.append(bc)
            elif measured < offer.threshold_fen:
                out.unusable.append(Unusable(bc, SHORT, short_fen=offer.threshold_fen - measured))
            else:
                out.unusable.append(Unusable(bc, NO_SAVING))
    out.best, out.best_payable_fen = best_combination(cart, base, fits)
    return out

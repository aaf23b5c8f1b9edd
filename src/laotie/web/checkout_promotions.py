"""What the checkout page shows of promotions: the breakdown (who funds each discount: 店铺优惠 /
平台补贴) from the same quote the API gives, and the buyer's usable wallet coupons to choose from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.core.money import discount_label, yuan_short
from laotie.orders.service import QuoteIn, QuoteLineIn, quote
from laotie.promotions import service as promotions
from laotie.promotions.schemas import BuyerCouponOut, QuoteOut

FUNDER_ZH = {"shop": "店铺优惠", "platform": "平台补贴"}
KIND_ZH = {
    "campaign": "活动价",
    "subsidy": "百亿补贴",
    "multibuy": "多件多折",
    "shop_coupon": "店铺券",
    "platform_coupon": "平台券",
    "new_buyer_deal": "一元购",
}


@dataclass
class CheckoutPromotions:
    quote: QuoteOut | None
    coupons: list[BuyerCouponOut] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)
    error: str | None = None

    def line(self, sku_id: int) -> Any:
        if self.quote is None:
            return None
        return next((ln for s in self.quote.shops for ln in s.lines if ln.sku_id == sku_id), None)

    def shop(self, shop_id: int) -> Any:
        if self.quote is None:
            return None
        return next((s for s in self.quote.shops if s.shop_id == shop_id), None)


def coupon_text(c: BuyerCouponOut) -> str:
    k = c.coupon
    if k.cut_fen:
        head = (
            f"满{yuan_short(k.threshold_fen)}减{yuan_short(k.cut_fen)}"
            if k.threshold_fen
            else f"立减{yuan_short(k.cut_fen)}"
        )
    else:
        head = discount_label(k.percent_off_bp) + (f"（最多减{yuan_short(k.cap_fen)}）" if k.cap_fen else "")
    return f"{'平台券' if k.shop_id is None else '店铺券'} · {head}"


def for_checkout(
    session: Session,
    buyer_id: int,
    lines: list[tuple[int, int]],
    coupon_ids: list[int],
    address_id: int | None,
) -> CheckoutPromotions:
    """The breakdown with the chosen coupons; if they are refused, the reason and the breakdown without them."""
    wallet = [c for c in promotions.my_coupons(session, buyer_id, "available")]
    body = [QuoteLineIn(sku_id=s, quantity=q) for s, q in lines]
    chosen = [i for i in coupon_ids if any(c.id == i for c in wallet)]
    try:
        return CheckoutPromotions(
            quote(session, buyer_id, QuoteIn(lines=body, coupon_ids=chosen, address_id=address_id)),
            wallet,
            chosen,
        )
    except AppError as exc:
        session.rollback()
        error = exc.message("zh")
    try:
        out = quote(session, buyer_id, QuoteIn(lines=body, address_id=address_id))
    except AppError:
        session.rollback()
        out = None
    return CheckoutPromotions(out, wallet, [], error)

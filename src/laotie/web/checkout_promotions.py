"""What the checkout page shows of promotions: the breakdown (who funds each discount: 店铺优惠 /
平台补贴) from the same quote the API gives, and the buyer's coupons sorted for this cart.

On first view the combination that saves most (``promotions.coupon_choices``) is applied; the buyer
then chooses one coupon per shop and one platform coupon (the stacking rules, shown as radio groups).
A choice the rules cannot honour together is said, never dropped in silence. The order's price is
always recomputed by the server from the coupon ids; nothing here is trusted on submit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.money import discount_label, yuan_short
from laotie.orders.service import QuoteIn, QuoteLineIn, quote
from laotie.promotions import service as promotions
from laotie.promotions.schemas import BuyerCouponOut, QuoteOut
from laotie.shops import service as shops
from laotie.web.rendering import china_time

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
class CouponGroup:
    """One stacking scope: a shop's coupons (one may be used) or the platform's (one per checkout)."""

    key: str  # the form field suffix: the shop id, or "platform"
    title: str
    coupons: list[BuyerCouponOut]
    chosen: int | None


@dataclass
class CheckoutPromotions:
    quote: QuoteOut | None
    coupons: list[BuyerCouponOut] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)
    error: str | None = None
    groups: list[CouponGroup] = field(default_factory=list)
    unusable: list[tuple[BuyerCouponOut, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # choices the rules could not honour together
    best: list[int] = field(default_factory=list)
    best_saving_fen: int = 0  # how much more the best combination saves than the current choice

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


def _shop_name(session: Session, shop_id: int | None) -> str:
    if shop_id is None:
        return "平台"
    try:
        return shops.get_shop(session, shop_id).name
    except AppError:
        return "指定店铺"


def why_not(session: Session, u: promotions.Unusable) -> str:
    """A coupon that does not fit this cart, in the words of a shopping app."""
    if u.reason == "short":
        return f"差¥{yuan_short(u.short_fen)}可用"
    if u.reason == "other_shop":
        return f"仅限{_shop_name(session, u.shop_id)}使用"
    if u.reason == "not_yet":
        return f"未到使用时间（{china_time(u.valid_from, 'short')}起）"
    if u.reason == "budget":
        return "活动补贴已发完"
    if u.reason == "no_saving":
        return "本单已无可减金额"
    return "已过期"


def _cart(session: Session, lines: list[tuple[int, int]]) -> list[promotions.CartLine]:
    skus = catalog.skus_for_sale(session, sorted({s for s, _ in lines}))
    merged: dict[int, int] = {}
    for sku_id, qty in lines:
        merged[sku_id] = merged.get(sku_id, 0) + qty
    return [
        promotions.CartLine(s.sku_id, s.product_id, s.shop_id, s.price_fen, merged[s.sku_id])
        for s in (skus[i] for i in sorted(merged) if i in skus)
    ]


def _one_per_scope(ids: list[int], scope: dict[int, int | None]) -> tuple[list[int], list[int]]:
    """Keep the first chosen coupon of each scope; the others are returned to be named."""
    kept: dict[int | None, int] = {}
    extra = []
    for i in ids:
        if scope[i] in kept:
            extra.append(i)
        else:
            kept[scope[i]] = i
    return list(kept.values()), extra


def _quote(
    session: Session, buyer_id: int, body: list[QuoteLineIn], ids: list[int], address_id: int | None
) -> QuoteOut:
    return quote(session, buyer_id, QuoteIn(lines=body, coupon_ids=ids, address_id=address_id))


def _deal_applies(session: Session, buyer_id: int, body: list[QuoteLineIn], address_id: int | None) -> bool:
    """Whether this buyer's 一元购 prices a line of this cart, decided by the quote itself (first order,
    address and phone not used before): a deal line takes no coupon, so coupons are sorted and the
    best combination chosen against the prices the order will really charge."""
    try:
        plain = _quote(session, buyer_id, body, [], address_id)
    except AppError:
        session.rollback()
        return False
    return any(
        d.kind == promotions.DEAL for shop in plain.shops for line in shop.lines for d in line.discounts
    )


def for_checkout(
    session: Session,
    buyer_id: int,
    lines: list[tuple[int, int]],
    coupon_ids: list[int],
    address_id: int | None,
    chose: bool = False,
) -> CheckoutPromotions:
    """The breakdown with the buyer's coupons: the best combination until the buyer has chosen
    (``chose``), then exactly their choice, less what the rules refuse, with a note saying why."""
    wallet = {c.id: c for c in promotions.my_coupons(session, buyer_id, "available")}
    body = [QuoteLineIn(sku_id=s, quantity=q) for s, q in lines]
    deal_ok = _deal_applies(session, buyer_id, body, address_id)
    choices = promotions.coupon_choices(session, buyer_id, _cart(session, lines), clock.now(), deal_ok)
    usable = [i for i in choices.usable if i in wallet]
    out = CheckoutPromotions(None, [wallet[i] for i in usable], best=choices.best)
    out.unusable = [
        (wallet[u.buyer_coupon_id], why_not(session, u))
        for u in choices.unusable
        if u.buyer_coupon_id in wallet
    ]
    wanted = [i for i in coupon_ids if i in usable] if chose else list(choices.best)
    for i in coupon_ids if chose else []:
        if i not in usable:
            held = wallet.get(i)
            out.notes.append(f"「{coupon_text(held)}」不能用于本单" if held else "所选优惠券已不可用")
    wanted, extra = _one_per_scope(wanted, choices.scope)
    for i in extra:
        out.notes.append(
            f"「{coupon_text(wallet[i])}」未使用：同一店铺每单限用一张店铺券，平台券每单限用一张"
        )
    try:
        out.quote = _quote(session, buyer_id, body, wanted, address_id)
        out.chosen = wanted
    except AppError as exc:
        session.rollback()
        platform = next((i for i in wanted if choices.scope[i] is None), None)
        if exc.code == "COUPON_THRESHOLD_NOT_MET" and platform is not None and len(wanted) > 1:
            # The platform coupon's threshold is measured after the shop coupons: say which pair clashes.
            rest = [i for i in wanted if i != platform]
            try:
                out.quote = _quote(session, buyer_id, body, rest, address_id)
                out.chosen = rest
                short = wallet[platform].coupon.threshold_fen - out.quote.payable_fen
                out.notes.append(
                    f"「{coupon_text(wallet[platform])}」与所选店铺券不能同时使用："
                    f"用店铺券后还差¥{yuan_short(max(short, 1))}才到门槛"
                )
            except AppError as again:
                session.rollback()
                out.error = again.message("zh")
        else:
            out.error = exc.message("zh")
    if out.quote is None:
        try:
            out.quote = _quote(session, buyer_id, body, [], address_id)
        except AppError:
            session.rollback()
    _group(session, out, choices.scope)
    if out.quote is not None and out.chosen != choices.best:
        out.best_saving_fen = max(out.quote.payable_fen - choices.best_payable_fen, 0)
    return out


def _group(session: Session, out: CheckoutPromotions, scope: dict[int, int | None]) -> None:
    by_scope: dict[int | None, list[BuyerCouponOut]] = {}
    for c in out.coupons:
        by_scope.setdefault(scope[c.id], []).append(c)
    for shop_id, coupons in sorted(by_scope.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        chosen = next((c.id for c in coupons if c.id in out.chosen), None)
        if shop_id is None:
            out.groups.append(CouponGroup("platform", "平台券 · 每单限用一张", coupons, chosen))
        else:
            title = f"{_shop_name(session, shop_id)} · 店铺券每店限用一张"
            out.groups.append(CouponGroup(str(shop_id), title, coupons, chosen))

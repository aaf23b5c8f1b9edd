"""The pricing function: a cart snapshot and the promotions that apply in, a line-by-line breakdown out.

Pure: no database, no clock. The service gathers the offers (``Offers``) and this module decides.
Stacking (ADR 0010, docs/promotions.md), in this order on every line:

1. 一元购 (new-buyer deal): one piece of the deal SKU at the deal price; that line takes nothing else
   and counts toward no threshold or multi-buy.
2. campaign price (shop-funded) then platform subsidy per piece (百亿补贴, platform-funded);
3. multi-buy (多件多折): per shop, each line in at most one multi-buy, the biggest saving first;
4. one shop coupon per shop (threshold measured after step 3);
5. one platform coupon per checkout (threshold measured after step 4, over all shops).

Order-level discounts (coupons, multi-buy) are spread over lines pro rata to each line's headroom
(its amount less 1 fen) with the largest-remainder method, so every line keeps at least 1 fen and
the parts add up exactly to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOP = "shop"
PLATFORM = "platform"

DEAL = "new_buyer_deal"
CAMPAIGN = "campaign"
SUBSIDY = "subsidy"
MULTIBUY = "multibuy"
SHOP_COUPON = "shop_coupon"
PLATFORM_COUPON = "platform_coupon"


@dataclass(frozen=True)
class CartLine:
    sku_id: int
    product_id: int
    shop_id: int
    unit_price_fen: int
    quantity: int


@dataclass(frozen=True)
class CampaignPrice:
    item_id: int
    campaign_id: int
    price_fen: int
    funded_by: str = SHOP


@dataclass(frozen=True)
class SubsidyOffer:
    subsidy_id: int
    per_unit_fen: int
    label: str
    budget_id: int | None
    budget_left_fen: int | None  # None: no budget cap


@dataclass(frozen=True)
class MultiBuyOffer:
    multibuy_id: int
    shop_id: int
    funded_by: str
    tiers: tuple[tuple[int, int], ...]  # (min pieces, percent off in basis points), any order
    product_ids: frozenset[int] | None  # None: every product of the shop
    campaign_id: int | None = None  # a campaign multi-buy counts only campaign-priced lines


@dataclass(frozen=True)
class CouponOffer:
    buyer_coupon_id: int
    coupon_id: int
    shop_id: int | None  # None: a platform coupon
    funded_by: str
    threshold_fen: int
    cut_fen: int  # 满减: a fixed cut, or 0
    percent_off_bp: int  # or a percentage off, or 0
    cap_fen: int | None
    budget_id: int | None = None
    budget_left_fen: int | None = None


@dataclass(frozen=True)
class DealOffer:
    deal_id: int
    price_fen: int
    budget_id: int | None = None
    budget_left_fen: int | None = None


@dataclass
class Offers:
    campaign: dict[int, CampaignPrice] = field(default_factory=dict)  # by sku_id
    subsidy: dict[int, SubsidyOffer] = field(default_factory=dict)  # by sku_id
    multibuys: list[MultiBuyOffer] = field(default_factory=list)
    coupons: list[CouponOffer] = field(default_factory=list)  # the ones the buyer chose
    deals: dict[int, DealOffer] = field(default_factory=dict)  # by sku_id; only when eligible

    def empty(self) -> bool:
        return not (self.campaign or self.subsidy or self.multibuys or self.coupons or self.deals)


@dataclass(frozen=True)
class Discount:
    kind: str
    promotion_id: int
    funded_by: str
    amount_fen: int
    label: str = ""
    ref_id: int | None = None  # buyer coupon id, campaign item id
    budget_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "promotion_id": self.promotion_id,
            "funded_by": self.funded_by,
            "amount_fen": self.amount_fen,
        }
        if self.label:
            out["label"] = self.label
        if self.ref_id is not None:
            out["ref_id"] = self.ref_id
        if self.budget_id is not None:
            out["budget_id"] = self.budget_id
        return out


@dataclass
class PricedLine:
    line: CartLine
    list_fen: int
    discounts: list[Discount] = field(default_factory=list)
    deal: bool = False

    @property
    def discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts)

    @property
    def final_fen(self) -> int:
        return self.list_fen - self.discount_fen

    def funded(self, by: str) -> int:
        return sum(d.amount_fen for d in self.discounts if d.funded_by == by)


@dataclass
class Breakdown:
    lines: list[PricedLine]
    unused_coupons: list[int] = field(default_factory=list)  # buyer coupon ids that did not apply

    @property
    def list_fen(self) -> int:
        return sum(p.list_fen for p in self.lines)

    @property
    def discount_fen(self) -> int:
        return sum(p.discount_fen for p in self.lines)

    @property
    def final_fen(self) -> int:
        return sum(p.final_fen for p in self.lines)

    def funded(self, by: str) -> int:
        return sum(p.funded(by) for p in self.lines)

    def shops(self) -> dict[int, list[PricedLine]]:
        out: dict[int, list[PricedLine]] = {}
        for p in self.lines:
            out.setdefault(p.line.shop_id, []).append(p)
        return out


def allocate(total_fen: int, weights: list[int]) -> list[int]:
    """Split ``total_fen`` over ``weights`` pro rata, largest remainder first (ties: earlier line),
    so the parts sum exactly to the total. Requires 0 <= total <= sum(weights)."""
    whole = sum(weights)
    if total_fen <= 0 or whole <= 0:
        return [0] * len(weights)
    parts = [total_fen * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % whole), i))
    for i in remainders[: total_fen - sum(parts)]:
        parts[i] += 1
    return parts


def _headroom(p: PricedLine) -> int:
    return max(p.final_fen - 1, 0)


def _spread(lines: list[PricedLine], amount: int, make: Discount) -> int:
    """Give ``amount`` (capped at the lines' headroom) to ``lines`` pro rata; returns what was given."""
    rooms = [_headroom(p) for p in lines]
    amount = min(amount, sum(rooms))
    if amount <= 0:
        return 0
    for p, part in zip(lines, allocate(amount, rooms), strict=True):
        if part:
            p.discounts.append(
                Discount(
                    make.kind,
                    make.promotion_id,
                    make.funded_by,
                    part,
                    make.label,
                    make.ref_id,
                    make.budget_id,
                )
            )
    return amount


def _percent(amount: int, bp: int) -> int:
    return amount * bp // 10_000  # discounts round down: the buyer never gets more than promised


def _unit_price_steps(p: PricedLine, offers: Offers, spent: dict[int, int]) -> None:
    line = p.line
    unit = line.unit_price_fen
    camp = offers.campaign.get(line.sku_id)
    if camp is not None and 0 < camp.price_fen < unit:
        p.discounts.append(
            Discount(
                CAMPAIGN,
                camp.campaign_id,
                camp.funded_by,
                (unit - camp.price_fen) * line.quantity,
                "活动价",
                camp.item_id,
            )
        )
        unit = camp.price_fen
    sub = offers.subsidy.get(line.sku_id)
    if sub is not None:
        per_unit = min(sub.per_unit_fen, unit - 1)
        amount = per_unit * line.quantity
        left = None if sub.budget_left_fen is None else sub.budget_left_fen - spent.get(sub.budget_id or 0, 0)
        if amount > 0 and (left is None or amount <= left):
            p.discounts.append(
                Discount(SUBSIDY, sub.subsidy_id, PLATFORM, amount, sub.label, None, sub.budget_id)
            )
            if sub.budget_id is not None:
                spent[sub.budget_id] = spent.get(sub.budget_id, 0) + amount


def _deal_step(p: PricedLine, deal: DealOffer) -> bool:
    saving = p.line.unit_price_fen - deal.price_fen
    if saving <= 0 or (deal.budget_left_fen is not None and saving > deal.budget_left_fen):
        return False
    p.discounts.append(Discount(DEAL, deal.deal_id, PLATFORM, saving, "一元购", None, deal.budget_id))
    p.deal = True
    return True


def _multibuy_step(shop_lines: list[PricedLine], multibuys: list[MultiBuyOffer], offers: Offers) -> None:
    taken: set[int] = set()
    while True:
        best: tuple[int, MultiBuyOffer, list[PricedLine]] | None = None
        for mb in multibuys:
            members = [
                p
                for p in shop_lines
                if id(p) not in taken
                and not p.deal
                and (mb.product_ids is None or p.line.product_id in mb.product_ids)
                and (mb.campaign_id is None or p.line.sku_id in offers.campaign)
            ]
            pieces = sum(p.line.quantity for p in members)
            bp = max((b for need, b in mb.tiers if pieces >= need), default=0)
            saving = min(_percent(sum(p.final_fen for p in members), bp), sum(_headroom(p) for p in members))
            if saving > 0 and (best is None or saving > best[0]):
                best = (saving, mb, members)
        if best is None:
            return
        saving, mb, members = best
        _spread(members, saving, Discount(MULTIBUY, mb.multibuy_id, mb.funded_by, 0, "多件多折"))
        taken.update(id(p) for p in members)


def _coupon_value(c: CouponOffer, base: int) -> int:
    if base < c.threshold_fen or base <= 0:
        return 0
    value = c.cut_fen if c.cut_fen else _percent(base, c.percent_off_bp)
    if c.cap_fen is not None:
        value = min(value, c.cap_fen)
    if c.budget_left_fen is not None and value > c.budget_left_fen:
        return 0  # a coupon is honoured in full or not at all (the service says the budget ran out)
    return max(value, 0)


def _best_coupon(coupons: list[CouponOffer], lines: list[PricedLine]) -> tuple[CouponOffer, int] | None:
    base = sum(p.final_fen for p in lines)
    room = sum(_headroom(p) for p in lines)
    best: tuple[CouponOffer, int] | None = None
    for c in coupons:
        value = min(_coupon_value(c, base), room)
        if value > 0 and (best is None or value > best[1]):
            best = (c, value)
    return best


def price(cart: list[CartLine], offers: Offers) -> Breakdown:
    """Price ``cart`` under ``offers``; the result names every discount and who funds it."""
    lines = [PricedLine(line, line.unit_price_fen * line.quantity) for line in cart]
    if offers.empty():
        return Breakdown(lines)
    deal_used = False
    spent: dict[int, int] = {}  # budget id -> fen promised so far in this cart
    for p in lines:
        deal = offers.deals.get(p.line.sku_id)
        if deal is not None and not deal_used and _deal_step(p, deal):
            deal_used = True  # one per buyer: the first deal line only
            continue
        _unit_price_steps(p, offers, spent)
    by_shop: dict[int, list[PricedLine]] = {}
    for p in lines:
        if not p.deal:
            by_shop.setdefault(p.line.shop_id, []).append(p)
    for shop_id, shop_lines in by_shop.items():
        multibuys = [mb for mb in offers.multibuys if mb.shop_id == shop_id]
        if multibuys:
            _multibuy_step(shop_lines, multibuys, offers)
    used: set[int] = set()
    for shop_id, shop_lines in by_shop.items():
        found = _best_coupon([c for c in offers.coupons if c.shop_id == shop_id], shop_lines)
        if found is not None:
            c, value = found
            _spread(
                shop_lines,
                value,
                Discount(SHOP_COUPON, c.coupon_id, c.funded_by, 0, "店铺券", c.buyer_coupon_id),
            )
            used.add(c.buyer_coupon_id)
    everything = [p for p in lines if not p.deal]
    found = _best_coupon([c for c in offers.coupons if c.shop_id is None], everything)
    if found is not None:
        c, value = found
        _spread(
            everything,
            value,
            Discount(PLATFORM_COUPON, c.coupon_id, c.funded_by, 0, "平台券", c.buyer_coupon_id, c.budget_id),
        )
        used.add(c.buyer_coupon_id)
    unused = [c.buyer_coupon_id for c in offers.coupons if c.buyer_coupon_id not in used]
    return Breakdown(lines, unused)

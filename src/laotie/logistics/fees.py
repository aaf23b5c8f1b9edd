"""The fee maths of shipping templates (运费模板), pure functions over integer fen.

- one template, one province: the region rule that lists the province, else the template default;
  a province in ``excluded`` is not served (不配送地区);
- 首件/首重 + 续件/续重: ``first_fee`` covers ``first_units``; each further ``extra_units`` or part of
  them adds ``extra_fee`` (a 1.2 kg parcel at 1 kg first + 0.5 kg extra pays one extra step);
- 满X包邮: a free-shipping rule for the province, met by the goods of that template (amount or
  pieces), makes that template's goods free;
- goods of several templates in one parcel (the usual marketplace rule): the template with the
  highest first fee charges its first fee; every template charges its extras, the others counting
  all their units as extra units, but never more than the templates would charge apart. Products
  without a template ship free.
"""

from __future__ import annotations

from dataclasses import dataclass

from laotie.logistics import errors
from laotie.logistics.schemas import ChargeBy, FeeRule, TemplateIn


def steps(units: int, size: int) -> int:
    """How many ``size``-unit steps cover ``units`` (a part step counts whole)."""
    return -(-units // size) if units > 0 else 0


def rule_fee(rule: FeeRule, units: int) -> int:
    if units <= 0:
        return 0
    return rule.first_fee_fen + steps(units - rule.first_units, rule.extra_units) * rule.extra_fee_fen


def extra_only_fee(rule: FeeRule, units: int) -> int:
    return steps(units, rule.extra_units) * rule.extra_fee_fen


def rule_for(template: TemplateIn, province: str) -> FeeRule | None:
    """The fee rule for a province, or None when the template does not deliver there."""
    if province in template.excluded:
        return None
    for region in template.regions:
        if province in region.provinces:
            return region
    return template.default


def is_free(template: TemplateIn, province: str, amount_fen: int, pieces: int) -> bool:
    for rule in template.free_rules:
        if rule.provinces and province not in rule.provinces:
            continue
        if rule.min_amount_fen is not None and amount_fen >= rule.min_amount_fen:
            return True
        if rule.min_pieces is not None and pieces >= rule.min_pieces:
            return True
    return False


@dataclass(frozen=True)
class Goods:
    """The goods of one order that ship under one template."""

    template: TemplateIn
    pieces: int
    weight_g: int
    amount_fen: int

    @property
    def units(self) -> int:
        return self.weight_g if self.template.charge_by == ChargeBy.WEIGHT else self.pieces


def parcel_fee(goods: list[Goods], province: str) -> int | None:
    """What the buyer pays to ship these goods to ``province``; None when any is not served there."""
    charged: list[tuple[FeeRule, int]] = []
    for g in goods:
        rule = rule_for(g.template, province)
        if rule is None:
            return None
        if not is_free(g.template, province, g.amount_fen, g.pieces):
            charged.append((rule, g.units))
    if not charged:
        return 0
    lead = max(range(len(charged)), key=lambda i: (charged[i][0].first_fee_fen, rule_fee(*charged[i])))
    combined = sum(
        rule_fee(rule, units) if i == lead else extra_only_fee(rule, units)
        for i, (rule, units) in enumerate(charged)
    )
    # A template with a cheap first fee and dear extras could make the combined rule dearer than
    # shipping apart: the buyer never pays more for buying together.
    return min(combined, sum(rule_fee(rule, units) for rule, units in charged))


def check_template(body: TemplateIn, province_codes: set[str]) -> None:
    """Refuse a template that could not be applied unambiguously (fees are checked by the schema)."""
    seen: dict[str, str] = {}

    def claim(code: str, where: str) -> None:
        if code not in province_codes:
            raise errors.INVALID_TEMPLATE(reason=f"{code}不是省级行政区代码", province=code)
        if code in seen:
            raise errors.INVALID_TEMPLATE(reason=f"地区{code}同时出现在{seen[code]}和{where}", province=code)
        seen[code] = where

    for code in body.excluded:
        claim(code, "不配送地区")
    for i, region in enumerate(body.regions, start=1):
        for code in region.provinces:
            claim(code, f"第{i}条地区运费")
    for i, rule in enumerate(body.free_rules, start=1):
        listed: set[str] = set()
        for code in rule.provinces:
            if code not in province_codes:
                raise errors.INVALID_TEMPLATE(reason=f"{code}不是省级行政区代码", province=code)
            if code in listed:
                raise errors.INVALID_TEMPLATE(reason=f"第{i}条包邮条件重复列出{code}", province=code)
            if code in body.excluded:
                raise errors.INVALID_TEMPLATE(reason=f"第{i}条包邮条件包含不配送地区{code}", province=code)
            listed.add(code)
    if body.excluded and len(set(body.excluded)) == len(province_codes):
        raise errors.INVALID_TEMPLATE(reason="不能所有地区都不配送")

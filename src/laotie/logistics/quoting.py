"""What shipping costs, shown before purchase and charged at checkout (the same function for both).

``quoter`` reads the templates of every product in a batch in two queries; ``Quoter.quote`` is then
pure computation, so a flash-sale batch of thousands of orders quotes without touching the database.

西北集运: to a consolidation province (settings.consolidation_leg_fen) the merchant ships to the hub,
so its template is applied with the hub's province; the hub-to-buyer leg is the platform's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.core.money import format_yuan
from laotie.logistics import errors, fees
from laotie.logistics.models import ProductShipping, ShippingTemplate
from laotie.logistics.schemas import Quote, QuoteLine, TemplateIn
from laotie.logistics.templates import rules_of
from laotie.settings import get_settings

_SUFFIXES = ("维吾尔自治区", "回族自治区", "壮族自治区", "特别行政区", "自治区", "省", "市")


def short_name(province_name: str) -> str:
    """新疆维吾尔自治区 -> 新疆, 内蒙古自治区 -> 内蒙古, 浙江省 -> 浙江."""
    for suffix in _SUFFIXES:
        if province_name.endswith(suffix) and len(province_name) > len(suffix):
            return province_name[: -len(suffix)]
    return province_name


def province_name(code: str) -> str:
    region = addresses.get_region(code)
    return region.name if region else code


def consolidation_leg(province_code: str) -> int | None:
    """The platform's hub-to-buyer rate for a consolidation province, else None."""
    return get_settings().consolidation_leg_fen.get(province_code)


@dataclass
class Quoter:
    profiles: dict[int, tuple[int | None, int]] = field(default_factory=dict)  # product -> template, g
    templates: dict[int, TemplateIn] = field(default_factory=dict)
    shops: dict[int, int] = field(default_factory=dict)  # product -> shop, for products with a profile

    def goods(self, lines: Iterable[QuoteLine]) -> list[fees.Goods]:
        by_template: dict[int, list[QuoteLine]] = {}
        for line in lines:
            template_id, _ = self.profiles.get(line.product_id, (None, 0))
            if template_id is not None:
                by_template.setdefault(template_id, []).append(line)
        return [
            fees.Goods(
                template=self.templates[tid],
                pieces=sum(x.quantity for x in group),
                weight_g=sum(x.quantity * self.profiles[x.product_id][1] for x in group),
                amount_fen=sum(x.quantity * x.unit_price_fen for x in group),
            )
            for tid, group in sorted(by_template.items())
        ]

    def quote(self, lines: Iterable[QuoteLine], province_code: str) -> Quote:
        goods = self.goods(lines)
        leg = consolidation_leg(province_code)
        if leg is not None:
            hub = get_settings().consolidation_hub_province
            fee = fees.parcel_fee(goods, hub)
            if fee is None:
                return Quote(served=False, label="该地区不配送", province_code=province_code)
            area = short_name(province_name(province_code))
            label = (
                f"{area}地区集运包邮" if fee == 0 else f"运费 {format_yuan(fee)}（{area}集运，平台承担中转）"
            )
            return Quote(
                fee_fen=fee,
                label=label,
                province_code=province_code,
                consolidated=True,
                hub_province_code=hub,
                platform_leg_fen=leg,
            )
        fee = fees.parcel_fee(goods, province_code)
        if fee is None:
            return Quote(served=False, label="该地区不配送", province_code=province_code)
        return Quote(
            fee_fen=fee, label="包邮" if fee == 0 else f"运费 {format_yuan(fee)}", province_code=province_code
        )

    def charge(self, lines: Iterable[QuoteLine], province_code: str) -> int:
        """The fee to charge at checkout, or REGION_NOT_SERVED."""
        quote = self.quote(lines, province_code)
        if not quote.served:
            raise errors.REGION_NOT_SERVED(
                province_code=province_code, province_name=province_name(province_code)
            )
        return quote.fee_fen


def quoter(session: Session, product_ids: Iterable[int]) -> Quoter:
    ids = sorted(set(product_ids))
    if not ids:
        return Quoter()
    rows = session.execute(
        select(
            ProductShipping.product_id,
            ProductShipping.template_id,
            ProductShipping.weight_g,
            ProductShipping.shop_id,
        ).where(ProductShipping.product_id.in_(ids))
    ).all()
    profiles = {int(p): (t, int(w)) for p, t, w, _ in rows}
    shops = {int(p): int(s) for p, _, _, s in rows}
    template_ids = sorted({t for t, _ in profiles.values() if t is not None})
    templates = (
        {
            row.id: rules_of(row)
            for row in session.scalars(select(ShippingTemplate).where(ShippingTemplate.id.in_(template_ids)))
        }
        if template_ids
        else {}
    )
    return Quoter(profiles, templates, shops)


def quote(session: Session, shop_id: int, lines: list[QuoteLine], region: str) -> Quote:
    """The shipping for one shop's goods to a province (``region``: the province adcode, or any
    adcode inside it). Products not in ``shop_id`` are ignored."""
    q = quoter(session, [line.product_id for line in lines])
    own = [line for line in lines if q.shops.get(line.product_id, shop_id) == shop_id]
    return q.quote(own, province_code_of(region))


def shop_templates(session: Session, shop_id: int) -> dict[int, TemplateIn]:
    """The rules of every template of a shop, by id (for ``one_piece``'s callers to keep)."""
    rows = session.scalars(select(ShippingTemplate).where(ShippingTemplate.shop_id == shop_id))
    return {row.id: rules_of(row) for row in rows}


_PROFILE = select(ProductShipping.template_id, ProductShipping.weight_g, ProductShipping.shop_id).where(
    ProductShipping.product_id == bindparam("pid")
)


def one_piece(
    session: Session,
    shop_id: int,
    product_id: int,
    unit_price_fen: int,
    region: str,
    templates: dict[int, TemplateIn],
) -> Quote:
    """``quote`` for one piece of one product, given the shop's ``templates`` as the caller keeps
    them (``shop_templates``): a product page's shipping line. A shop without templates ships all
    its products free, so its pages read nothing here; otherwise one indexed read of the product's
    template and weight. A template newer than the caller's copy is read afresh (``quote``)."""
    line = QuoteLine(product_id=product_id, quantity=1, unit_price_fen=unit_price_fen)
    province = province_code_of(region)
    if not templates:
        return Quoter().quote([line], province)
    row = session.connection().execute(_PROFILE, {"pid": product_id}).first()
    if row is None or row.template_id is None or row.shop_id != shop_id:
        return Quoter().quote([line], province)  # no template, or not this shop's goods: 包邮
    template = templates.get(row.template_id)
    if template is None:
        return quote(session, shop_id, [line], region)
    profiles = {product_id: (row.template_id, int(row.weight_g))}
    return Quoter(profiles, {row.template_id: template}, {product_id: shop_id}).quote([line], province)


def province_code_of(region: str) -> str:
    """The province of any adcode (a district, a city or the province itself); REGION_NOT_FOUND
    for a code that is none."""
    return addresses.province_of(region).code

"""A shop's shipping templates (运费模板) and which template each product ships under."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.events.logistics import ShippingChanged
from laotie.logistics import errors, fees
from laotie.logistics.models import ProductShipping, ShippingTemplate
from laotie.logistics.schemas import ProductShippingIn, ProductShippingOut, TemplateIn, TemplateOut
from laotie.shops import service as shops

MAX_TEMPLATES = 50


def province_codes() -> set[str]:
    return {p.code for p in addresses.provinces()}


def rules_of(row: ShippingTemplate) -> TemplateIn:
    return TemplateIn.model_validate({"name": row.name, **row.rules})


def _out(row: ShippingTemplate, products: int = 0) -> TemplateOut:
    return TemplateOut(
        **rules_of(row).model_dump(),
        id=row.id,
        shop_id=row.shop_id,
        products=products,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _rules(body: TemplateIn) -> dict[str, Any]:
    fees.check_template(body, province_codes())
    return body.model_dump(mode="json", exclude={"name"})


def _load(session: Session, shop_id: int, template_id: int) -> ShippingTemplate:
    row = session.get(ShippingTemplate, template_id)
    if row is None or row.shop_id != shop_id:
        raise errors.TEMPLATE_NOT_FOUND(template_id=template_id)
    return row


def _usage(session: Session, template_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(ProductShipping.template_id, func.count())
        .where(ProductShipping.template_id.in_(template_ids))
        .group_by(ProductShipping.template_id)
    ).all()
    return {int(t): int(n) for t, n in rows if t is not None}


def list_templates(session: Session, principal: Principal, shop_id: int) -> list[TemplateOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(
        select(ShippingTemplate).where(ShippingTemplate.shop_id == shop_id).order_by(ShippingTemplate.id)
    ).all()
    used = _usage(session, [r.id for r in rows])
    return [_out(r, used.get(r.id, 0)) for r in rows]


def get_template(session: Session, principal: Principal, shop_id: int, template_id: int) -> TemplateOut:
    shops.require_shop_member(session, shop_id, principal)
    row = _load(session, shop_id, template_id)
    return _out(row, _usage(session, [row.id]).get(row.id, 0))


def create_template(session: Session, principal: Principal, shop_id: int, body: TemplateIn) -> TemplateOut:
    shops.require_shop_member(session, shop_id, principal)
    rules = _rules(body)
    count = session.scalar(select(func.count()).where(ShippingTemplate.shop_id == shop_id)) or 0
    if count >= MAX_TEMPLATES:
        raise errors.INVALID_TEMPLATE(reason=f"每个店铺最多{MAX_TEMPLATES}个运费模板")
    now = clock.now()
    row = ShippingTemplate(shop_id=shop_id, name=body.name, rules=rules, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _out(row)


def update_template(
    session: Session, principal: Principal, shop_id: int, template_id: int, body: TemplateIn
) -> TemplateOut:
    """Later orders pay the new fees; placed orders keep the shipping they were quoted."""
    shops.require_shop_member(session, shop_id, principal)
    row = _load(session, shop_id, template_id)
    row.rules = _rules(body)
    row.name = body.name
    row.updated_at = clock.now()
    emit(session, ShippingChanged(shop_id=shop_id, product_ids=None))
    session.flush()
    return _out(row, _usage(session, [row.id]).get(row.id, 0))


def delete_template(session: Session, principal: Principal, shop_id: int, template_id: int) -> None:
    shops.require_shop_member(session, shop_id, principal)
    row = _load(session, shop_id, template_id)
    used = _usage(session, [row.id]).get(row.id, 0)
    if used:
        raise errors.TEMPLATE_IN_USE(products=used)
    session.delete(row)
    session.flush()


def set_product_shipping(
    session: Session, principal: Principal, shop_id: int, product_id: int, body: ProductShippingIn
) -> ProductShippingOut:
    catalog.get_product(session, principal, product_id, shop_id=shop_id)  # the shop's own product
    if body.template_id is not None:
        _load(session, shop_id, body.template_id)
    row = session.get(ProductShipping, product_id)
    if row is None:
        row = ProductShipping(product_id=product_id, shop_id=shop_id)
        session.add(row)
    row.template_id = body.template_id
    row.weight_g = body.weight_g
    emit(session, ShippingChanged(shop_id=shop_id, product_ids=[product_id]))
    session.flush()
    return ProductShippingOut(
        product_id=product_id, shop_id=shop_id, template_id=row.template_id, weight_g=row.weight_g
    )


def get_product_shipping(
    session: Session, principal: Principal, shop_id: int, product_id: int
) -> ProductShippingOut:
    catalog.get_product(session, principal, product_id, shop_id=shop_id)
    row = session.get(ProductShipping, product_id)
    if row is None:
        return ProductShippingOut(product_id=product_id, shop_id=shop_id)
    return ProductShippingOut(
        product_id=product_id, shop_id=shop_id, template_id=row.template_id, weight_g=row.weight_g
    )


def _free_everywhere(rules: dict[str, Any]) -> bool:
    """A template that charges nothing for the first piece anywhere it serves ships free (包邮)."""
    template = TemplateIn.model_validate({"name": "-", **rules})
    return template.default.first_fee_fen == 0 and all(r.first_fee_fen == 0 for r in template.regions)


def free_shipping_of(session: Session, product_ids: list[int]) -> dict[int, bool]:
    """包邮 for each product: no template (or none chosen), or a template free everywhere it serves."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(ProductShipping.product_id, ShippingTemplate.rules)
        .outerjoin(ShippingTemplate, ShippingTemplate.id == ProductShipping.template_id)
        .where(ProductShipping.product_id.in_(product_ids))
    ).all()
    found = {pid: True for pid in product_ids}
    for pid, rules in rows:
        found[pid] = rules is None or _free_everywhere(rules)
    return found

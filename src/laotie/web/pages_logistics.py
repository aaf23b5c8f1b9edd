"""Logistics in the browser: the shipping line on product pages and at checkout, the merchant's
运费模板 page (templates, which product ships under which, late shipments) and the governance list
of late shipments."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.addresses import service as addresses
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductDetail
from laotie.core.auth import AnyUser, Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.logistics import service as logistics
from laotie.logistics.schemas import ProductShippingIn, Quote, QuoteLine, ShippingPolicyIn, TemplateIn
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.rendering import PageRoute, order_numbers, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
DEFAULT_REGION = "330000"  # 浙江: what a visitor without an address sees


def product_shipping(
    session: Session, principal: Principal | None, product: ProductDetail, region: str | None
) -> dict[str, Any]:
    """配送至 <province>: the quote for one piece, to the region asked, the buyer's default address or
    a default province."""
    return shipping_to(session, product, shipping_province(session, principal, region))


def shipping_province(session: Session, principal: Principal | None, region: str | None) -> str:
    """The province a product page quotes for: the one asked, the buyer's default address's, or
    ``DEFAULT_REGION``."""
    if not region and principal is not None:
        default = addresses.default_address(session, principal.user_id)
        region = default.province_code if default else None
    try:
        return logistics.province_code_of(region or DEFAULT_REGION)
    except AppError:
        return DEFAULT_REGION


def shipping_to(
    session: Session,
    product: ProductDetail,
    province: str,
    templates: dict[int, TemplateIn] | None = None,
) -> dict[str, Any]:
    """The shipping line for one piece of ``product`` to ``province``: the same for every buyer.
    ``templates``: the shop's templates as the caller keeps them (``logistics.shop_templates``);
    read now when not given."""
    if templates is None:
        templates = logistics.shop_templates(session, product.shop_id)
    quote = logistics.one_piece(
        session, product.shop_id, product.id, product.min_price_fen, province, templates
    )
    return {
        "quote": quote,
        "province": province,
        "options": province_options(province),
    }


@functools.lru_cache(maxsize=64)
def province_options(selected: str) -> Markup:
    """The region picker's ``<option>`` list with ``selected`` chosen, written once per province:
    the template wrote these 34 options (six attribute lookups and two escapes each) on every page."""
    return Markup(
        "".join(
            f'<option value="{escape(p.code)}" {"selected" if p.code == selected else ""}>{escape(p.name)}</option>'
            for p in addresses.provinces()
        )
    )


def checkout_shipping(session: Session, groups: list[dict[str, Any]], province: str | None) -> int:
    """Put each shop group's shipping quote on it (``g["shipping"]``); returns the total fee."""
    total = 0
    for g in groups:
        lines = [
            QuoteLine(
                product_id=i["sku"].product_id,
                quantity=i["line"].quantity,
                unit_price_fen=i["line"].price_fen,
            )
            for i in g["lines"]
        ]
        quote: Quote | None = logistics.quote(session, g["shop"].id, lines, province) if province else None
        g["shipping"] = quote
        total += quote.fee_fen if quote else 0
    return total


def _templates_page(
    request: Request,
    session: Session,
    principal: Principal,
    shop_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates = logistics.list_templates(session, principal, shop_id)
    products = catalog.list_shop_products(session, principal, shop_id, PageParams(limit=100)).items
    assigned = {p.id: logistics.get_product_shipping(session, principal, shop_id, p.id) for p in products}
    late = logistics.shop_late_shipments(session, principal, shop_id)
    return render(
        request,
        session,
        principal,
        "merchant/shipping.html",
        status_code=status_code,
        shop=shops.get_shop(session, shop_id),
        templates=templates,
        names={t.id: t.name for t in templates},
        products=products,
        assigned=assigned,
        provinces=addresses.provinces(),
        late=late,
        order_nos=order_numbers(session, [r.order_id for r in late]),
        policy=logistics.get_policy(session, principal, shop_id),
        error=error,
    )


@router.get("/merchant/shops/{shop_id}/shipping", response_class=HTMLResponse)
def shipping_page(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    return _templates_page(request, session, principal, shop_id)


def _fen(raw: str, field: str) -> int:
    """Yuan to fen, where 0 (free) is allowed."""
    text = raw.strip()
    return 0 if not text or text.strip("0.") == "" else forms.parse_yuan(text, field)


def _template_from(data: dict[str, str], excluded: list[str]) -> TemplateIn:
    free = forms.optional_int(data.get("free_over", "").split(".")[0], "满额包邮", minimum=1)
    body: dict[str, Any] = {
        "name": data.get("name", "").strip(),
        "default": {
            "first_fee_fen": _fen(data.get("first_fee", ""), "首件运费"),
            "extra_fee_fen": _fen(data.get("extra_fee", ""), "续件运费"),
        },
        "free_rules": [{"min_amount_fen": free * 100}] if free else [],
        "excluded": excluded,
    }
    try:
        return TemplateIn.model_validate(body)
    except ValidationError as exc:
        raise forms.validation_message(exc) from None


@router.post("/merchant/shops/{shop_id}/shipping/templates", response_model=None)
def create_template(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    try:
        shops.require_shop_member(session, shop_id, principal)
        excluded = [str(v) for v in form.getlist("excluded")][:40]
        body = _template_from(forms.fields(form), excluded)
        out = logistics.create_template(session, principal, shop_id, body)
    except AppError as exc:
        session.rollback()
        return _templates_page(
            request, session, principal, shop_id, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    return redirect(f"/merchant/shops/{shop_id}/shipping", f"已创建运费模板：{out.name}")


@router.post("/merchant/shops/{shop_id}/shipping/products", response_model=None)
def assign_product(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    try:
        shops.require_shop_member(session, shop_id, principal)
        product_id = forms.parse_int(data.get("product_id", ""), "商品", minimum=1, maximum=2**53)
        template_id = forms.optional_int(data.get("template_id", ""), "运费模板")
        weight = forms.parse_int(data.get("weight_g", "") or "0", "重量", maximum=1_000_000)
        logistics.set_product_shipping(
            session,
            principal,
            shop_id,
            product_id,
            ProductShippingIn(template_id=template_id, weight_g=weight),
        )
    except AppError as exc:
        session.rollback()
        return _templates_page(
            request, session, principal, shop_id, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    return redirect(f"/merchant/shops/{shop_id}/shipping", "已更新商品运费设置")


@router.post("/merchant/shops/{shop_id}/shipping/policy", response_model=None)
def set_policy(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    try:
        shops.require_shop_member(session, shop_id, principal)
        hours = forms.parse_int(
            forms.fields(form).get("ship_within_hours", ""), "发货时效", minimum=24, maximum=360
        )
        logistics.set_policy(session, principal, shop_id, ShippingPolicyIn(ship_within_hours=hours))
    except AppError as exc:
        session.rollback()
        return _templates_page(
            request, session, principal, shop_id, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    return redirect(f"/merchant/shops/{shop_id}/shipping", f"发货时效已设为付款后{hours}小时")


@router.get("/governance/late-shipments", response_class=HTMLResponse)
def late_shipments_page(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    rows = logistics.late_shipments(session, shop)
    return render(
        request,
        session,
        principal,
        "governance/late_shipments.html",
        rows=rows,
        order_nos=order_numbers(session, [r.order_id for r in rows]),
        shop_filter=shop,
    )

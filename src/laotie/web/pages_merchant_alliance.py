"""Merchant console: offering the shop's products to creators (好物联盟), rates and withdrawals."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.money import parse_hundredths, plain_hundredths
from laotie.core.pagination import PageParams
from laotie.settings import get_settings
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(
    prefix="/merchant/shops/{shop_id}/alliance", include_in_schema=False, route_class=PageRoute
)


@router.get("", response_class=HTMLResponse)
def alliance_page(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    shop = shops.require_shop_member(session, shop_id, principal)
    products = catalog.list_listed(session, PageParams(limit=100, offset=0), shop_id=shop_id).items
    offers = {o.product_id: o for o in affiliate.shop_offers(session, principal, shop_id)}
    settings = get_settings()
    return render(
        request,
        session,
        principal,
        "merchant/alliance.html",
        shop=shop,
        products=products,
        offers=offers,
        min_pct=plain_hundredths(settings.affiliate_min_rate_bp),
        max_pct=plain_hundredths(settings.affiliate_max_rate_bp),
    )


@router.post("/{product_id}", response_model=None)
def set_offer(
    shop_id: PathId,
    product_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    shops.require_shop_member(session, shop_id, principal)
    catalog.get_product(session, principal, product_id, shop_id=shop_id)  # 404 for another shop's product
    data = forms.fields(form)
    back = f"/merchant/shops/{shop_id}/alliance"
    try:
        if data.get("action") == "withdraw":
            affiliate.withdraw_offer(session, principal, shop_id, product_id)
            message = "已退出好物联盟"
        else:
            rate_bp = parse_hundredths(data.get("rate_pct", ""))
            if rate_bp is None:
                raise ValueError("not a percentage")
            affiliate.set_offer(session, principal, shop_id, product_id, rate_bp)
            message = "佣金已设置"
    except ValueError:
        return redirect(back, "请输入佣金比例（%）")
    except AppError as exc:
        session.rollback()
        return redirect(back, exc.message("zh"))
    session.commit()
    return redirect(back, message)

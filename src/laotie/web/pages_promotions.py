"""Promotions in the browser: the buyer's 我的优惠券 (claim, list) and the merchant console's
优惠工具 (shop coupons and multi-buy), through the same promotions service as the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core import clock
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.promotions import service as promotions
from laotie.promotions.schemas import CouponIn, MultiBuyIn, TierIn
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.checkout_promotions import coupon_text
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/me/coupons", response_class=HTMLResponse)
def my_coupons(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    platform = promotions.claimable(session, None)
    return render(
        request,
        session,
        principal,
        "coupons.html",
        wallet=promotions.my_coupons(session, principal.user_id),
        platform=platform,
        # Copies held per coupon: at its per-buyer limit a coupon shows 已领取 instead of 领取.
        held=promotions.held_counts(session, principal.user_id, [c.id for c in platform]),
        coupon_text=coupon_text,
        now=clock.now(),
    )


@router.post("/me/coupons/{coupon_id}/claim", response_model=None)
def claim(
    coupon_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> RedirectResponse:
    try:
        promotions.claim(session, principal, coupon_id)
    except AppError as exc:
        session.rollback()
        return redirect("/me/coupons", f"领取失败：{exc.message('zh')}")
    session.commit()
    return redirect("/me/coupons", "领取成功，已放入我的优惠券")


def _shop(session: Session, principal: Principal, shop: int | None):  # type: ignore[no-untyped-def]
    mine = [s for s in shops.shops_of(session, principal.user_id) if s.status.value != "applying"]
    current = next((s for s in mine if s.id == shop), None) if shop else (mine[0] if mine else None)
    return mine, current


def _console(
    request: Request,
    session: Session,
    principal: Principal,
    shop: int | None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse | RedirectResponse:
    mine, current = _shop(session, principal, shop)
    if current is None:
        return redirect("/merchant")
    return render(
        request,
        session,
        principal,
        "merchant/promotions.html",
        status_code=status_code,
        shop=current,
        my_shops=mine,
        coupons=promotions.shop_coupons(session, principal, current.id),
        multibuys=promotions.shop_multibuys(session, principal, current.id),
        error=error,
    )


@router.get("/merchant/promotions", response_model=None)
def console(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    return _console(request, session, principal, shop)


def _window(data: dict[str, str]) -> tuple[datetime, datetime]:
    days = forms.parse_int(data.get("days", "30") or "30", "有效天数", 1, 365)
    start = clock.now().astimezone(UTC)
    return start, start + timedelta(days=days)


@router.post("/merchant/promotions/coupons", response_model=None)
def create_coupon(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    shop_id = forms.parse_int(data.get("shop", ""), "店铺", 1, 2**53)
    try:
        start, end = _window(data)
        yuan = lambda key: forms.parse_int(data.get(key, "0") or "0", key, 0, 10_000_000) * 100  # noqa: E731
        percent = data.get("kind") == "percent"
        body = CouponIn(
            name=data.get("name", "").strip() or "店铺优惠券",
            kind="percent" if percent else "threshold_cut",
            threshold_fen=yuan("threshold"),
            cut_fen=0 if percent else yuan("cut"),
            percent_off_bp=forms.parse_int(data.get("percent", "0") or "0", "折扣", 0, 90) * 100
            if percent
            else 0,
            cap_fen=(yuan("cap") or None) if percent else None,
            per_buyer_limit=forms.parse_int(data.get("per_buyer", "1") or "1", "每人限领", 1, 100),
            total_quantity=forms.parse_int(data.get("total", "100") or "100", "发放总量", 1, 10_000_000),
            valid_from=start,
            valid_until=end,
        )
        promotions.create_shop_coupon(session, principal, shop_id, body)
    except ValidationError as exc:
        session.rollback()
        return _console(
            request, session, principal, shop_id, forms.validation_message(exc).message("zh"), 422
        )
    except AppError as exc:
        session.rollback()
        return _console(request, session, principal, shop_id, exc.message("zh"), exc.status)
    session.commit()
    return redirect(f"/merchant/promotions?shop={shop_id}", "优惠券已创建")


@router.post("/merchant/promotions/multibuys", response_model=None)
def create_multibuy(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    shop_id = forms.parse_int(data.get("shop", ""), "店铺", 1, 2**53)
    try:
        start, end = _window(data)
        tiers = []
        for n in (2, 3, 4):
            raw = (data.get(f"tier{n}") or "").strip()
            if raw:
                tiers.append(TierIn(pieces=n, percent_off_bp=forms.parse_int(raw, f"{n}件折扣", 1, 90) * 100))
        body = MultiBuyIn(
            name=data.get("name", "").strip() or "多件多折", tiers=tiers, starts_at=start, ends_at=end
        )
        promotions.create_shop_multibuy(session, principal, shop_id, body)
    except ValidationError as exc:
        session.rollback()
        return _console(
            request, session, principal, shop_id, forms.validation_message(exc).message("zh"), 422
        )
    except AppError as exc:
        session.rollback()
        return _console(request, session, principal, shop_id, exc.message("zh"), exc.status)
    session.commit()
    return redirect(f"/merchant/promotions?shop={shop_id}", "多件多折已创建")

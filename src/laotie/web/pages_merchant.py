"""Merchant console, part one: the 0元开店 application, its documents and the shop dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductStatus
from laotie.categories import service as categories
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.ids import MAX_ID
from laotie.core.pagination import PageParams
from laotie.core.request_body import BodyLimit, body_limit
from laotie.live import service as live
from laotie.shops import service as shops
from laotie.shops.schemas import ShopApply, ShopPrivateOut
from laotie.video import service as video
from laotie.web import errors as web_errors
from laotie.web import forms, merchant_figures
from laotie.web.labels import DOCUMENT_LABELS, PRODUCT_TABS, main_category_groups
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(prefix="/merchant", include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20
APPLY_FIELDS = ("name", "main_category_id", "entity_type", "legal_name", "licence_number", "contact_phone")


def _current(my_shops: list[ShopPrivateOut], shop_id: int | None) -> ShopPrivateOut | None:
    if shop_id is not None:
        return next((s for s in my_shops if s.id == shop_id), None)
    return my_shops[0] if my_shops else None


def _application_body(data: dict[str, str]) -> ShopApply:
    try:
        return ShopApply(
            name=data.get("name", "").strip(),
            main_category_id=int(data.get("main_category_id") or 0),
            entity_type=data.get("entity_type", ""),
            legal_name=data.get("legal_name", "").strip(),
            licence_number=data.get("licence_number", "").strip() or None,
            contact_phone=data.get("contact_phone", "").strip(),
            description=data.get("description", ""),
        )
    except ValidationError as exc:
        raise forms.validation_message(exc) from None


def _missing_documents(session: Session, principal: Principal, shop: ShopPrivateOut) -> list[str]:
    required = categories.get_category(session, shop.main_category_id).required_qualifications
    on_file = {d.kind for d in shops.list_documents(session, principal, shop.id) if not d.expired}
    return [kind for kind in required if kind not in on_file]


def _application_page(
    request: Request,
    session: Session,
    principal: Principal,
    shop: ShopPrivateOut | None,
    my_shops: list[ShopPrivateOut],
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    documents = shops.list_documents(session, principal, shop.id) if shop else []
    missing = _missing_documents(session, principal, shop) if shop else []
    category = categories.get_category(session, shop.main_category_id) if shop else None
    if form is None and shop is not None:
        form = {k: str(getattr(shop, k) or "") for k in (*APPLY_FIELDS, "description")}
    return render(
        request,
        session,
        principal,
        "merchant/application.html",
        status_code=status_code,
        shop=shop,
        my_shops=my_shops,
        category=category,
        groups=main_category_groups(categories.tree(session)),
        documents=documents,
        missing=missing,
        upload_kinds=["business_license", *missing, "brand_authorization"],
        document_labels=DOCUMENT_LABELS,
        form=form or {},
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def console(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    my_shops = shops.shops_of(session, principal.user_id)
    current = _current(my_shops, shop)
    if current is None or current.status.value == "applying":
        return _application_page(request, session, principal, current, my_shops)
    status = status if status in PRODUCT_TABS else ""
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = catalog.list_shop_products(
        session, principal, current.id, params, status=ProductStatus(status) if status else None
    )
    counts = {
        tab: catalog.list_shop_products(
            session, principal, current.id, PageParams(limit=1), status=ProductStatus(tab) if tab else None
        ).total
        for tab in PRODUCT_TABS
    }
    ids = [p.id for p in result.items]
    live_asks, video_asks = live.intent_by_product(session, ids), video.intent_by_product(session, ids)
    asks = {i: live_asks.get(i, 0) + video_asks.get(i, 0) for i in ids}
    return render(
        request,
        session,
        principal,
        "merchant/dashboard.html",
        overview=merchant_figures.overview(session, principal, current.id),
        asks=asks,
        shop=current,
        my_shops=my_shops,
        result=result,
        counts=counts,
        tabs=PRODUCT_TABS,
        status=status,
        base="/merchant",
        query={"shop": current.id, "status": status},
    )


@router.post("/apply", response_model=None)
def apply(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    try:
        shop = shops.apply(session, principal, _application_body(data))
    except AppError as exc:
        session.rollback()
        return _application_page(
            request,
            session,
            principal,
            None,
            shops.shops_of(session, principal.user_id),
            error=exc.message("zh"),
            form=data,
            status_code=exc.status,
        )
    session.commit()
    return redirect(f"/merchant?shop={shop.id}", "开店申请已提交：补齐资质后等待平台审核")


@router.post("/shops/{shop_id}/resubmit", response_model=None)
def resubmit(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    try:
        shops.resubmit(session, principal, shop_id, _application_body(data))
    except AppError as exc:
        session.rollback()
        my_shops = shops.shops_of(session, principal.user_id)
        return _application_page(
            request,
            session,
            principal,
            _current(my_shops, shop_id),
            my_shops,
            error=exc.message("zh"),
            form=data,
            status_code=exc.status,
        )
    session.commit()
    return redirect(f"/merchant?shop={shop_id}", "申请已重新提交，等待平台审核")


@router.post("/shops/{shop_id}/documents", response_model=None, openapi_extra=body_limit(BodyLimit.IMAGES))
def upload_document(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    files = forms.uploads(form, "file")
    limit = request.app.state.settings.max_upload_bytes
    try:
        if not files:
            raise web_errors.FORM_FIELDS_INVALID(fields="文件")
        shops.upload(
            session,
            request.app.state.storage,
            principal,
            shop_id,
            kind=data.get("kind", ""),
            filename=files[0].filename or "",
            data=forms.upload_bytes(files[0], limit),
            brand=data.get("brand", ""),
        )
    except AppError as exc:
        session.rollback()
        my_shops = shops.shops_of(session, principal.user_id)
        current = _current(my_shops, shop_id)
        if current is None:
            raise
        return _application_page(
            request, session, principal, current, my_shops, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    return redirect(f"/merchant?shop={shop_id}", "资质文件已上传")

"""Merchant console, part two: creating products with SKUs and images, and moving them through review."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductCreate
from laotie.categories import service as categories
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.request_body import BodyLimit, body_limit
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.labels import leaf_groups
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(
    prefix="/merchant/shops/{shop_id}/products", include_in_schema=False, route_class=PageRoute
)


def product_body(data: dict[str, str]) -> ProductCreate:
    """The create form as the catalog's input; prices in yuan become fen here."""
    attributes = forms.attributes_from(data)
    skus = forms.skus_from(data, attributes)
    try:
        return ProductCreate(
            category_id=int(data["category_id"]) if data.get("category_id", "").isdigit() else 0,
            title=data.get("title", ""),
            description=data.get("description", ""),
            size_chart=forms.size_chart_from(data.get("size_chart", "")),  # type: ignore[arg-type]
            purchase_limit=forms.optional_int(data.get("purchase_limit", ""), "限购数量"),
            attributes=attributes,  # type: ignore[arg-type]
            skus=skus,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        raise forms.validation_message(exc) from None


def _form_page(
    request: Request,
    session: Session,
    principal: Principal,
    shop_id: int,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    shop = shops.require_selling_shop(session, shop_id, principal)
    form = form or {}
    rows: dict[str, dict[str, str]] = {}
    for i in range(forms.MAX_SKUS):
        raw = form.get(f"sku_attrs_{i}")
        if raw is not None:
            rows[raw] = {
                "price": form.get(f"sku_price_{i}", ""),
                "original": form.get(f"sku_original_{i}", ""),
                "stock": form.get(f"sku_stock_{i}", ""),
            }
    return render(
        request,
        session,
        principal,
        "merchant/product_form.html",
        status_code=status_code,
        shop=shop,
        groups=leaf_groups(categories.tree(session)),
        form=form,
        prefill=rows,
        error=error,
    )


@router.get("/new", response_class=HTMLResponse)
def new_product(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    return _form_page(request, session, principal, shop_id)


@router.post("", response_model=None, openapi_extra=body_limit(BodyLimit.IMAGES))
def create_product(
    request: Request,
    shop_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    storage = request.app.state.storage
    limit = request.app.state.settings.max_upload_bytes
    try:
        product = catalog.create_product(session, principal, shop_id, product_body(data))
        for upload in forms.uploads(form, "images"):
            catalog.add_image(
                session,
                storage,
                principal,
                product.id,
                upload.filename or "image",
                upload.content_type or "",
                forms.upload_bytes(upload, limit),
                shop_id=shop_id,
            )
        if data.get("action") == "submit":
            catalog.submit_for_review(session, principal, product.id, shop_id=shop_id)
    except AppError as exc:
        session.rollback()
        return _form_page(
            request, session, principal, shop_id, form=data, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    done = "商品已提交审核" if data.get("action") == "submit" else "商品已保存为草稿"
    return redirect(f"/merchant/shops/{shop_id}/products/{product.id}", done)


def _detail_context(session: Session, principal: Principal, shop_id: int, product_id: int) -> dict[str, Any]:
    product = catalog.get_product(session, principal, product_id, shop_id=shop_id)
    return {
        "shop": shops.require_shop_member(session, shop_id, principal),
        "product": product,
        "category": categories.get_category(session, product.category_id),
        "events": catalog.product_events(session, principal, product_id, shop_id=shop_id),
    }


@router.get("/{product_id}", response_class=HTMLResponse)
def product_detail(
    request: Request,
    shop_id: PathId,
    product_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    context = _detail_context(session, principal, shop_id, product_id)
    return render(request, session, principal, "merchant/product.html", **context)


@router.post("/{product_id}/images", response_model=None, openapi_extra=body_limit(BodyLimit.IMAGES))
def upload_images(
    request: Request,
    shop_id: PathId,
    product_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    limit = request.app.state.settings.max_upload_bytes
    files = forms.uploads(form, "images")
    try:
        for upload in files:
            catalog.add_image(
                session,
                request.app.state.storage,
                principal,
                product_id,
                upload.filename or "image",
                upload.content_type or "",
                forms.upload_bytes(upload, limit),
                shop_id=shop_id,
            )
    except AppError as exc:
        session.rollback()
        context = _detail_context(session, principal, shop_id, product_id)
        return render(
            request,
            session,
            principal,
            "merchant/product.html",
            status_code=exc.status,
            error=exc.message("zh"),
            **context,
        )
    session.commit()
    return redirect(f"/merchant/shops/{shop_id}/products/{product_id}", f"已上传{len(files)}张图片")


ACTIONS = {
    "submit": (catalog.submit_for_review, "已提交审核，平台审核通过后自动上架"),
    "delist": (catalog.delist, "商品已下架"),
    "relist": (catalog.relist, "已重新上架"),
}


@router.post("/{product_id}/{action}", response_model=None)
def product_action(
    request: Request,
    shop_id: PathId,
    product_id: PathId,
    action: Literal["submit", "delist", "relist"],
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    run, done = ACTIONS[action]
    try:
        run(session, principal, product_id, shop_id=shop_id)
    except AppError as exc:
        session.rollback()
        context = _detail_context(session, principal, shop_id, product_id)
        return render(
            request,
            session,
            principal,
            "merchant/product.html",
            status_code=exc.status,
            error=exc.message("zh"),
            **context,
        )
    session.commit()
    return redirect(f"/merchant/shops/{shop_id}/products/{product_id}", done)

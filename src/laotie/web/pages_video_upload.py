"""Posting a short video from the browser (发视频): merchants for their shop, creators with alliance goods."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal, Role
from laotie.core.errors import AppError
from laotie.core.http import get_session
from laotie.core.pagination import PageParams
from laotie.core.request_body import BodyLimit, body_limit
from laotie.shops import service as shops
from laotie.video import service as video
from laotie.video.schemas import VideoMeta
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _choices(session: Session, principal: Principal) -> list[dict[str, object]]:
    """What this user may link: each selling shop's listed products, and the creator's showcase."""
    groups: list[dict[str, object]] = []
    for shop in shops.shops_of(session, principal.user_id):
        if shop.status not in shops.SELLING:
            continue
        page = catalog.list_listed(session, PageParams(limit=100, offset=0), shop_id=shop.id)
        groups.append({"shop_id": shop.id, "name": shop.name, "products": page.items})
    if principal.has(Role.CREATOR):
        items = affiliate.showcase(session, principal.user_id).items
        groups.append(
            {"shop_id": None, "name": "我的橱窗（好物联盟）", "products": [i.product for i in items]}
        )
    return groups


def _page(
    request: Request, session: Session, principal: Principal, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "video_new.html",
        groups=_choices(session, principal),
        error=error,
        status_code=status_code,
    )


@router.get("/videos/new", response_class=HTMLResponse)
def new_video_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    return _page(request, session, principal)


@router.post("/videos/new", response_model=None, openapi_extra=body_limit(BodyLimit.VIDEO))
def post_video(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    chosen = [v for v in form.getlist("product_id") if isinstance(v, str) and v.isdigit()]
    shop = data.get("shop_id", "")
    files = forms.uploads(form, "file")
    storage = request.app.state.storage
    try:
        meta = VideoMeta(
            title=data.get("title", ""),
            description=data.get("description", ""),
            shop_id=int(shop) if shop.isdigit() else None,
            product_ids=[int(v) for v in chosen],
        )
        if not files:
            return _page(request, session, principal, "请选择视频文件", 422)
        limit: int = request.app.state.settings.video_max_bytes
        out, keys = video.upload(session, storage, principal, meta, forms.upload_bytes(files[0], limit))
    except ValidationError as exc:
        session.rollback()
        return _page(request, session, principal, forms.validation_message(exc).message("zh"), 422)
    except AppError as exc:
        session.rollback()
        return _page(request, session, principal, exc.message("zh"), exc.status)
    try:
        session.commit()
    except Exception:
        for key in keys:
            storage.delete(key)
        raise
    return redirect(f"/v/{out.id}", "视频已发布")

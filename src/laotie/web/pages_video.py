"""Short videos for buyers: the feed (短视频) and a video's page with its player and products."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal, PublicAccess
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.video import service as video
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 12


@router.get("/videos", response_class=HTMLResponse)
def feed_page(
    request: Request,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    result = video.feed(session, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    return render(request, session, principal, "videos.html", result=result, query={})


def _buyables(session: Session, product_ids: list[int]) -> list[dict[str, Any]]:
    """Each linked product with its active SKUs, for the buy buttons."""
    out = []
    for product_id in product_ids:
        try:
            detail = catalog.get_listed(session, product_id)
        except AppError:
            continue
        skus = [
            {
                "id": s.id,
                "label": " ".join(s.attrs.values()) or "默认",
                "price_fen": s.price_fen,
                "stock": s.stock,
            }
            for s in detail.skus
        ]
        out.append({"card": detail, "skus": skus})
    return out


@router.get("/v/{video_id}", response_class=HTMLResponse)
def video_page(
    request: Request,
    video_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    shown = video.detail(session, video_id, principal)
    kind, target = (TargetKind.SHOP, shown.shop_id) if shown.shop_id else (TargetKind.USER, shown.author_id)
    fans = social.fans(session, kind, target, principal)
    viewer = principal.user_id if principal else None
    comments = video.comments(session, video_id, PageParams(limit=50, offset=0), viewer)
    return render(
        request,
        session,
        principal,
        "video.html",
        video=shown,
        buyables=_buyables(session, [p.id for p in shown.products]),
        comments=comments,
        fans=fans,
        attribution={"channel": "video", "video_id": shown.id, "creator_id": shown.creator_id},
    )


@router.post("/v/{video_id}/like", response_model=None)
def like(
    video_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> RedirectResponse:
    shown = video.detail(session, video_id, principal)
    if shown.liked:
        video.unlike(session, principal, video_id)
    else:
        video.like(session, principal, video_id)
    session.commit()
    return redirect(f"/v/{video_id}")


@router.post("/v/{video_id}/comments", response_model=None)
def comment(
    video_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    body = forms.fields(form).get("body", "").strip()
    if not body:
        return redirect(f"/v/{video_id}#comments", "请输入评论内容")
    try:
        video.comment(session, principal, video_id, body)
    except AppError as exc:
        session.rollback()
        return redirect(f"/v/{video_id}#comments", exc.message("zh"))
    session.commit()
    return redirect(f"/v/{video_id}#comments", "评论成功")

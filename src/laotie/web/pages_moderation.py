"""Governance console: texts the moderation detectors blocked, with the matched words marked, to
confirm or mark wrong (误判); and the hits shown on the product and shop review pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from laotie.core.auth import Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.moderation import service as moderation
from laotie.moderation.schemas import HitReviewIn, HitStatus, Surface
from laotie.web.rendering import PageRoute, page_url, redirect, render

router = APIRouter(prefix="/governance/moderation", include_in_schema=False, route_class=PageRoute)
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
PAGE_SIZE = 30

SURFACE_LABELS = {
    "live_comment": "直播评论",
    "video_caption": "视频文案",
    "video_comment": "视频评论",
    "product_title": "商品标题",
    "product_description": "商品描述",
    "shop_name": "店铺名称",
    "shop_profile": "店铺简介",
    "review": "商品评价",
    "aftersales_message": "售后留言",
}
REASON_LABELS = {
    "contact_wechat": "微信",
    "contact_qq": "QQ",
    "contact_phone": "电话",
    "contact_email": "邮箱",
    "contact_other_app": "其他App账号",
    "contact_number": "变体数字",
    "platform_redirect": "站外平台",
    "move_conversation": "私聊/拉群",
    "offline_payment": "线下交易",
    "link_or_qr": "链接/二维码",
    "prohibited_goods": "违禁品",
    "review_bribery": "好评返现",
}


def marked(hit: moderation.HitOut) -> list[tuple[str, bool]]:
    """The hit's text cut into (piece, matched) for display, matched pieces merged where they overlap."""
    ranges = sorted((s.start, s.end) for s in hit.spans)
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in merged:
        if start > at:
            pieces.append((hit.text[at:start], False))
        pieces.append((hit.text[start:end], True))
        at = end
    if at < len(hit.text):
        pieces.append((hit.text[at:], False))
    return pieces


def hit_context() -> dict[str, Any]:
    return {"marked": marked, "surface_labels": SURFACE_LABELS, "reason_labels": REASON_LABELS}


@router.get("", response_class=HTMLResponse)
def hits_page(
    request: Request,
    status: HitStatus | None = HitStatus.OPEN,
    surface: Surface | None = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    found = moderation.hits(session, principal, params, status=status, surface=surface)
    return render(
        request,
        session,
        principal,
        "governance/moderation.html",
        hits=found,
        status=status.value if status else "",
        surface=surface.value if surface else "",
        base="/governance/moderation",
        query={"status": status.value if status else "", "surface": surface.value if surface else ""},
        **hit_context(),
    )


@router.post("/hits/{hit_id}/{verdict}", response_model=None)
def review(
    request: Request,
    hit_id: PathId,
    verdict: Literal["confirmed", "wrong"],
    note: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse | RedirectResponse:
    target = back if back.startswith("/governance") else "/governance/moderation"
    try:
        moderation.review_hit(session, principal, hit_id, HitReviewIn(verdict=HitStatus(verdict), note=note))
    except AppError as exc:
        session.rollback()
        return redirect(page_url(target), exc.message("zh"))
    session.commit()
    return redirect(page_url(target), "已确认违规" if verdict == "confirmed" else "已标记误判")

"""Live pages: the list of rooms on air, the live room (video, comments, likes, 小黄车, 讲解中,
秒杀 countdown), the anchor console (rooms, stream key, sessions, cart, pin, flash sales) and the
session report with its chart. The pages talk to the live API and WebSocket from small scripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.live import service as live
from laotie.live.schemas import SessionStatus
from laotie.scores import service as scores
from laotie.settings import get_settings
from laotie.shops import service as shops
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.web.rendering import CHINA_TZ, PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/live", response_class=HTMLResponse)
def on_air(
    request: Request, session: Session = Depends(get_session), principal: Principal | None = PublicAccess
) -> HTMLResponse:
    return render(request, session, principal, "live/list.html", sessions=live.live_now(session))


@router.get("/live/{session_id}", response_class=HTMLResponse)
def room(
    session_id: PathId,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    out = live.get_session(session, session_id)
    cart = live.cart_view(session, session_id)
    # the 秒杀 sheet names the SKU on sale (颜色、尺码), not its id
    flash_skus = {f.sku_id for item in cart for f in item.flash_sales if not f.closed}
    sku_names = {
        s.id: " / ".join(s.attrs.values()) or "默认规格"
        for item in cart
        if any(f.sku_id in flash_skus for f in item.flash_sales)
        for s in catalog.get_listed(session, item.product_id).skus
        if s.id in flash_skus
    }
    return render(
        request,
        session,
        principal,
        "live/room.html",
        live=out,
        cart=cart,
        sku_names=sku_names,
        fans=social.fans(
            session,
            TargetKind.SHOP if out.shop_id else TargetKind.USER,
            out.shop_id or out.anchor_user_id,
            principal,
        ),  # 关注 the anchor
        ended=out.status == SessionStatus.ENDED,
        dsr=scores.shop_scores(session, {i.shop_id for i in cart}),  # 店铺评分 on each cart line
        # a broadcast announced for a time now past whose anchor has not started: 即将开始
        overdue=out.status == SessionStatus.SCHEDULED and _aware(out.scheduled_at) <= clock.now(),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/merchant/live", response_class=HTMLResponse)
def console(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    rooms = live.my_rooms(session, principal)
    sessions = {r.id: live.room_sessions(session, principal, r.id)[:10] for r in rooms}
    have = {r.shop_id for r in rooms}
    return render(
        request,
        session,
        principal,
        "live/console.html",
        rooms=rooms,
        sessions=sessions,
        shops=[s for s in shops.shops_of(session, principal.user_id) if s.id not in have],
        can_creator=None not in have and principal.has(Role.CREATOR),
        rtmp_url=get_settings().media_rtmp_url,  # where OBS or ffmpeg pushes
    )


@router.get("/merchant/live/sessions/{session_id}", response_class=HTMLResponse)
def session_console(
    session_id: PathId,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    sessions = live.my_session(session, principal, session_id)
    cart = live.cart_view(session, session_id)
    in_cart = {i.product_id for i in cart}
    # pickers instead of typed ids: the shop's products (picture, price, sales) for 小黄车, and each
    # cart product's SKUs (attributes, price, stock) for 秒杀
    shelf = (
        catalog.list_listed(session, PageParams(limit=60), shop_id=sessions.shop_id).items
        if sessions.shop_id
        else []
    )
    skus = {i.id: [s for s in catalog.get_listed(session, i.product_id).skus if s.active] for i in cart}
    return render(
        request,
        session,
        principal,
        "live/session_console.html",
        live=sessions,
        cart=cart,
        shelf=[p for p in shelf if p.id not in in_cart],
        skus=skus,
        starts_default=(clock.now() + timedelta(minutes=2)).astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/merchant/live/sessions/{session_id}/report", response_class=HTMLResponse)
def report(
    session_id: PathId,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    out = live.session_report(session, principal, session_id)
    peak = max(out.orders_timeline or [0]) or 1
    return render(request, session, principal, "live/report.html", report=out, peak=peak)

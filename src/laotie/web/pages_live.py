"""Live pages: the list of rooms on air, the live room (video, comments, likes, 小黄车, 讲解中,
秒杀 countdown), the anchor console (rooms, stream key, sessions, cart, pin, flash sales) and the
session report with its chart. The pages talk to the live API and WebSocket from small scripts."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role
from laotie.core.http import PathId, get_session
from laotie.live import service as live
from laotie.live.schemas import SessionStatus
from laotie.scores import service as scores
from laotie.shops import service as shops
from laotie.web.rendering import PageRoute, render

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
    return render(
        request,
        session,
        principal,
        "live/room.html",
        live=out,
        cart=cart,
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
    )


@router.get("/merchant/live/sessions/{session_id}", response_class=HTMLResponse)
def session_console(
    session_id: PathId,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    sessions = live.my_session(session, principal, session_id)
    return render(
        request,
        session,
        principal,
        "live/session_console.html",
        live=sessions,
        cart=live.cart_view(session, session_id),
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

"""Follow buttons and the inbox (消息): notifications when a followed room goes live."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render, safe_next

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    inbox = social.inbox(session, principal, PageParams(limit=50, offset=0))
    follows = social.my_follows(session, principal, PageParams(limit=50, offset=0))
    return render(request, session, principal, "notifications.html", inbox=inbox, follows=follows)


@router.post("/notifications/read-all", response_model=None)
def read_all(session: Session = Depends(get_session), principal: Principal = AnyUser) -> RedirectResponse:
    social.mark_all_read(session, principal)
    session.commit()
    return redirect("/notifications", "已全部标为已读")


@router.post("/follow/{target_kind}/{target_id}", response_model=None)
def toggle_follow(
    target_kind: TargetKind,
    target_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """关注 / 取消关注, back to the page the button was on."""
    back = safe_next(forms.fields(form).get("next"))
    if social.is_following(session, principal.user_id, target_kind, target_id):
        social.unfollow(session, principal, target_kind, target_id)
        session.commit()
        return redirect(back, "已取消关注")
    try:
        social.follow(session, principal, target_kind, target_id)
    except AppError as exc:
        session.rollback()
        return redirect(back, exc.message("zh"))
    session.commit()
    return redirect(back, "关注成功，开播会通知你")

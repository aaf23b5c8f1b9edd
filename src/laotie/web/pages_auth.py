"""Log-in, sign-up and log-out for the browser: the token travels in an httponly cookie."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from laotie.accounts import errors as account_errors
from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal, PublicAccess
from laotie.core.errors import AppError
from laotie.core.http import get_session
from laotie.web.rendering import TOKEN_COOKIE, PageRoute, redirect, render, safe_next

router = APIRouter(include_in_schema=False, route_class=PageRoute)

FormStr = Annotated[str, Form()]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(request: Request, token: str, expires_at: datetime, target: str) -> RedirectResponse:
    response = redirect(safe_next(target))
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=max(int((expires_at - clock.now()).total_seconds()), 0),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    next: str = "/",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    return render(request, session, principal, "login.html", next=safe_next(next), identifier="")


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    identifier: FormStr = "",
    password: FormStr = "",
    next: FormStr = "/",
    session: Session = Depends(get_session),
    _: object = PublicAccess,
) -> HTMLResponse | RedirectResponse:
    try:
        if not identifier.strip():
            raise account_errors.IDENTIFIER_REQUIRED()
        user = accounts.authenticate(session, identifier, password, _client(request))
    except AppError as exc:
        session.rollback()
        if exc.kind is account_errors.WRONG_CREDENTIALS:
            accounts.record_failed_login(session, identifier, _client(request))
            session.commit()
        return render(
            request,
            session,
            None,
            "login.html",
            status_code=exc.status,
            error=exc.message("zh"),
            identifier=identifier,
            next=safe_next(next),
        )
    token, row = accounts.issue_token(session, user, request.headers.get("user-agent", ""))
    session.commit()
    return _signed_in(request, token, row.expires_at, next)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(
    request: Request,
    next: str = "/",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    return render(request, session, principal, "signup.html", next=safe_next(next), form={})


@router.post("/signup", response_model=None)
def signup_submit(
    request: Request,
    identifier: FormStr = "",
    password: FormStr = "",
    nickname: FormStr = "",
    next: FormStr = "/",
    session: Session = Depends(get_session),
    _: object = PublicAccess,
) -> HTMLResponse | RedirectResponse:
    ident = identifier.strip()
    try:
        user = accounts.register(
            session,
            password=password,
            phone=ident if ident and "@" not in ident else None,
            email=ident if "@" in ident else None,
            nickname=nickname[:40],
        )
    except AppError as exc:
        session.rollback()
        return render(
            request,
            session,
            None,
            "signup.html",
            status_code=exc.status,
            error=exc.message("zh"),
            form={"identifier": identifier, "nickname": nickname},
            next=safe_next(next),
        )
    token, row = accounts.issue_token(session, user, request.headers.get("user-agent", ""))
    session.commit()
    return _signed_in(request, token, row.expires_at, next)


@router.post("/logout")
def logout(
    session: Session = Depends(get_session), principal: Principal | None = PublicAccess
) -> RedirectResponse:
    if principal is not None and principal.token_id is not None:
        accounts.revoke_token(session, principal.user_id, principal.token_id)
        session.commit()
    response = redirect("/", "已退出登录")
    response.delete_cookie(TOKEN_COOKIE)
    return response

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from laotie.accounts import errors, service
from laotie.accounts.schemas import LogIn, ProfileUpdate, RoleGrant, SessionOut, SignUp, TokenOut, UserOut
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
admin_router = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])

SELF_SERVICE_ROLES = {Role.CREATOR}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _token_out(session: Session, user_id: int, token: str, expires_at: object) -> TokenOut:
    return TokenOut(access_token=token, expires_at=expires_at, user=service.get_user_out(session, user_id))  # type: ignore[arg-type]


@router.post("/signup", response_model=TokenOut, status_code=201)
def sign_up(
    body: SignUp, request: Request, session: Session = Depends(get_session), _: object = PublicAccess
) -> TokenOut:
    user = service.register(
        session, password=body.password, phone=body.phone, email=body.email, nickname=body.nickname
    )
    token, row = service.issue_token(session, user, request.headers.get("user-agent", ""))
    out = _token_out(session, user.id, token, row.expires_at)
    session.commit()
    return out


@router.post("/login", response_model=TokenOut)
def log_in(
    body: LogIn, request: Request, session: Session = Depends(get_session), _: object = PublicAccess
) -> TokenOut:
    try:
        user = service.authenticate(session, body.identifier, body.password, _client(request))
    except AppError as exc:
        if exc.kind is errors.WRONG_CREDENTIALS:
            service.record_failed_login(session, body.identifier, _client(request))
            session.commit()
        raise
    token, row = service.issue_token(session, user, request.headers.get("user-agent", ""))
    out = _token_out(session, user.id, token, row.expires_at)
    session.commit()
    return out


def _forget_cached(request: Request, user_id: int) -> None:
    """Revoked tokens stop working on the cached buy path at once in this process too."""
    request.app.state.principal_cache.forget_user(user_id)


@router.post("/logout", status_code=204)
def log_out(
    request: Request, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> None:
    if principal.token_id is not None:
        service.revoke_token(session, principal.user_id, principal.token_id)
    session.commit()
    _forget_cached(request, principal.user_id)


@router.get("/me", response_model=UserOut)
def me(principal: Principal = AnyUser, session: Session = Depends(get_session)) -> UserOut:
    return service.get_user_out(session, principal.user_id)


@router.patch("/me", response_model=UserOut)
def update_me(
    body: ProfileUpdate, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> UserOut:
    service.update_profile(session, principal.user_id, body.nickname, body.bio)
    out = service.get_user_out(session, principal.user_id)
    session.commit()
    return out


@router.get("/me/sessions", response_model=list[SessionOut])
def my_sessions(principal: Principal = AnyUser, session: Session = Depends(get_session)) -> list[SessionOut]:
    return service.list_sessions(session, principal)


@router.delete("/me/sessions/{token_id}", status_code=204)
def revoke_session(
    token_id: PathId,
    request: Request,
    principal: Principal = AnyUser,
    session: Session = Depends(get_session),
) -> None:
    service.revoke_token(session, principal.user_id, token_id)
    session.commit()
    _forget_cached(request, principal.user_id)


@router.post("/me/sessions/revoke-all", status_code=200)
def revoke_all_sessions(
    request: Request, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> dict[str, int]:
    count = service.revoke_all_tokens(session, principal.user_id)
    session.commit()
    _forget_cached(request, principal.user_id)
    return {"revoked": count}


@router.post("/me/roles", response_model=UserOut)
def take_role(
    body: RoleGrant, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> UserOut:
    """Roles a user may take alone (becoming a creator); others are granted by staff or by opening a shop."""
    if body.role not in SELF_SERVICE_ROLES:
        raise errors.ROLE_NOT_GRANTABLE()
    service.grant_role(session, principal.user_id, body.role)
    out = service.get_user_out(session, principal.user_id)
    session.commit()
    return out


@admin_router.get("/{user_id}", response_model=UserOut)
def get_user(
    user_id: PathId,
    session: Session = Depends(get_session),
    _: Principal = require_roles(Role.ADMIN, Role.GOVERNANCE),
) -> UserOut:
    return service.get_user_out(session, user_id)


@admin_router.post("/{user_id}/roles", response_model=UserOut)
def grant_role(
    user_id: PathId,
    body: RoleGrant,
    session: Session = Depends(get_session),
    _: Principal = require_roles(Role.ADMIN),
) -> UserOut:
    service.grant_role(session, user_id, body.role)
    out = service.get_user_out(session, user_id)
    session.commit()
    return out


@admin_router.delete("/{user_id}/roles/{role}", response_model=UserOut)
def revoke_role(
    user_id: PathId,
    role: Role,
    session: Session = Depends(get_session),
    _: Principal = require_roles(Role.ADMIN),
) -> UserOut:
    service.revoke_role(session, user_id, role)
    out = service.get_user_out(session, user_id)
    session.commit()
    return out

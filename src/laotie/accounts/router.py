from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from laotie.accounts import errors, service
from laotie.accounts.schemas import LogIn, ProfileUpdate, RoleGrant, SessionOut, SignUp, TokenOut, UserOut
from laotie.core import uow
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import DbSession, PathId

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
admin_router = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])

SELF_SERVICE_ROLES = {Role.CREATOR}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _token_out(session: Session, user_id: int, token: str, expires_at: object) -> TokenOut:
    return TokenOut(access_token=token, expires_at=expires_at, user=service.get_user_out(session, user_id))  # type: ignore[arg-type]


@router.post("/signup", response_model=TokenOut, status_code=201)
def sign_up(session: DbSession, body: SignUp, request: Request, _: object = PublicAccess) -> TokenOut:
    user = service.register(
        session, password=body.password, phone=body.phone, email=body.email, nickname=body.nickname
    )
    token, row = service.issue_token(session, user, request.headers.get("user-agent", ""))
    return _token_out(session, user.id, token, row.expires_at)


@router.post("/login", response_model=TokenOut)
def log_in(session: DbSession, body: LogIn, request: Request, _: object = PublicAccess) -> TokenOut:
    try:
        user = service.authenticate(session, body.identifier, body.password, _client(request))
    except AppError as exc:
        if exc.kind is errors.WRONG_CREDENTIALS:
            service.record_failed_login(session, body.identifier, _client(request))
            session.commit()  # the failed attempt counts although the answer is an error
        raise
    token, row = service.issue_token(session, user, request.headers.get("user-agent", ""))
    return _token_out(session, user.id, token, row.expires_at)


def _forget_cached(request: Request, session: Session, user_id: int) -> None:
    """Revoked tokens stop working on the cached buy path at once in this process too (once the
    revocation is committed: forgotten earlier, a request in between could cache them again)."""
    uow.after_commit(session, partial(request.app.state.principal_cache.forget_user, user_id))


@router.post("/logout", status_code=204)
def log_out(session: DbSession, request: Request, principal: Principal = AnyUser) -> None:
    if principal.token_id is not None:
        service.revoke_token(session, principal.user_id, principal.token_id)
    _forget_cached(request, session, principal.user_id)


@router.get("/me", response_model=UserOut)
def me(session: DbSession, principal: Principal = AnyUser) -> UserOut:
    return service.get_user_out(session, principal.user_id)


@router.patch("/me", response_model=UserOut)
def update_me(session: DbSession, body: ProfileUpdate, principal: Principal = AnyUser) -> UserOut:
    service.update_profile(session, principal.user_id, body.nickname, body.bio)
    return service.get_user_out(session, principal.user_id)


@router.get("/me/sessions", response_model=list[SessionOut])
def my_sessions(session: DbSession, principal: Principal = AnyUser) -> list[SessionOut]:
    return service.list_sessions(session, principal)


@router.delete("/me/sessions/{token_id}", status_code=204)
def revoke_session(
    session: DbSession, token_id: PathId, request: Request, principal: Principal = AnyUser
) -> None:
    service.revoke_token(session, principal.user_id, token_id)
    _forget_cached(request, session, principal.user_id)


@router.post("/me/sessions/revoke-all", status_code=200)
def revoke_all_sessions(
    session: DbSession, request: Request, principal: Principal = AnyUser
) -> dict[str, int]:
    count = service.revoke_all_tokens(session, principal.user_id)
    _forget_cached(request, session, principal.user_id)
    return {"revoked": count}


@router.post("/me/roles", response_model=UserOut)
def take_role(session: DbSession, body: RoleGrant, principal: Principal = AnyUser) -> UserOut:
    """Roles a user may take alone (becoming a creator); others are granted by staff or by opening a shop."""
    if body.role not in SELF_SERVICE_ROLES:
        raise errors.ROLE_NOT_GRANTABLE()
    service.grant_role(session, principal.user_id, body.role)
    return service.get_user_out(session, principal.user_id)


@admin_router.get("/{user_id}", response_model=UserOut)
def get_user(
    session: DbSession, user_id: PathId, _: Principal = require_roles(Role.ADMIN, Role.GOVERNANCE)
) -> UserOut:
    return service.get_user_out(session, user_id)


@admin_router.post("/{user_id}/roles", response_model=UserOut)
def grant_role(
    session: DbSession, user_id: PathId, body: RoleGrant, _: Principal = require_roles(Role.ADMIN)
) -> UserOut:
    service.grant_role(session, user_id, body.role)
    return service.get_user_out(session, user_id)


@admin_router.delete("/{user_id}/roles/{role}", response_model=UserOut)
def revoke_role(
    session: DbSession, user_id: PathId, role: Role, _: Principal = require_roles(Role.ADMIN)
) -> UserOut:
    service.revoke_role(session, user_id, role)
    return service.get_user_out(session, user_id)

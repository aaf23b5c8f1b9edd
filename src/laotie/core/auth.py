"""Who is calling: roles, the principal, password hashing and the access dependencies.

Every route declares its access with one of ``public``, ``authenticated`` or
``require_roles(...)``; the authorisation-matrix test fails on a route that declares none.
Tokens are resolved by the accounts domain, which the app wires in at start-up
(``app.state.resolve_principal``), so core imports no domain.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from laotie.core.errors import FORBIDDEN, NOT_AUTHENTICATED
from laotie.core.http import get_session


class Role(enum.StrEnum):
    BUYER = "buyer"
    MERCHANT_OWNER = "merchant_owner"
    MERCHANT_STAFF = "merchant_staff"
    CREATOR = "creator"
    GOVERNANCE = "governance"
    ADMIN = "admin"
    PROVIDER = "provider"


STAFF_ROLES = (Role.GOVERNANCE, Role.ADMIN)
MERCHANT_ROLES = (Role.MERCHANT_OWNER, Role.MERCHANT_STAFF)


@dataclass(frozen=True)
class Principal:
    user_id: int
    roles: frozenset[Role]
    token_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return self.has(*STAFF_ROLES)


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_bearer = HTTPBearer(auto_error=False)

PrincipalResolver = Callable[[Session, str], Principal | None]


def optional_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: Session = Depends(get_session),
) -> Principal | None:
    token = credentials.credentials if credentials else request.cookies.get("laotie_token")
    if not token:
        return None
    resolve: PrincipalResolver = request.app.state.resolve_principal
    return resolve(session, token)


def _mark(dependency: Callable[..., Any], access: str, roles: tuple[Role, ...]) -> Any:
    dependency.__laotie_access__ = (access, roles)  # type: ignore[attr-defined]
    return dependency


def public(principal: Principal | None = Depends(optional_principal)) -> Principal | None:
    return principal


_mark(public, "public", ())


async def no_principal() -> None:
    """Public routes that never look at the caller (health checks): no token lookup at all."""


_mark(no_principal, "public", ())


def authenticated(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise NOT_AUTHENTICATED()
    return principal


_mark(authenticated, "authenticated", ())


def require_roles(*roles: Role) -> Any:
    """A dependency that lets through only principals holding one of ``roles``."""

    def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        if not principal.has(*roles):
            raise FORBIDDEN()
        return principal

    return Depends(_mark(dependency, "roles", tuple(roles)))


PublicAccess = Depends(public)
NoPrincipal = Depends(no_principal)
AnyUser = Depends(authenticated)

"""Callers for tests that call many routes: headers that stay valid whatever the routes do to them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Role
from tests.factories import make_user

Headers = Callable[[], dict[str, str]]


def fresh_headers(session: Session, user_id: int, roles: tuple[Role, ...]) -> Headers:
    """Headers with a new token, and ``roles`` given back, on every call: routes under test may log
    the caller out, revoke its tokens, or (as an admin) revoke its own roles."""

    def headers() -> dict[str, str]:
        # Held here, the user stays in the session's (weak) identity map: granting reads it once, not
        # once per role; and only roles a route took away are written back (the fuzz's main cost).
        user = accounts.get_user(session, user_id)
        held = {held.role for held in user.roles}
        for role in roles:
            if role.value not in held:
                accounts.grant_role(session, user_id, role)
        token, _ = accounts.issue_token(session, user, "probe")
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def all_roles_caller(session: Session) -> tuple[int, Headers]:
    """A user holding every role, so role-gated routes run past their gate."""
    user_id, _ = make_user(session, *Role, nickname="全角色")
    return user_id, fresh_headers(session, user_id, tuple(Role))


def single_role_callers(session: Session) -> dict[Role, Headers]:
    """One user per role, each holding only that role."""
    callers = {}
    for role in Role:
        user_id, _ = make_user(session, role)
        callers[role] = fresh_headers(session, user_id, (role,))
    return callers

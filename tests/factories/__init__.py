"""Builders for test data, going through the real services."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Role

PASSWORD = "laotie123"
_phones = itertools.count(13800000001)


def make_user(session: Session, *roles: Role, nickname: str = "") -> tuple[int, dict[str, str]]:
    """A committed user with ``roles`` (buyer when none) and the headers that authenticate it."""
    user = accounts.register(
        session,
        password=PASSWORD,
        phone=str(next(_phones)),
        nickname=nickname,
        roles=roles or (Role.BUYER,),
    )
    token, _ = accounts.issue_token(session, user, "tests")
    session.commit()
    return user.id, {"Authorization": f"Bearer {token}"}

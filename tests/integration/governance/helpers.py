"""Builders shared by the governance tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal, Role
from laotie.governance import service as governance
from tests.factories import make_user
from tests.factories.shops import principal_of


def seeded(session: Session) -> None:
    governance.seed_rules(session)
    session.commit()


def staff(session: Session) -> tuple[Principal, dict[str, str]]:
    user_id, headers = make_user(session, Role.GOVERNANCE)
    return principal_of(session, user_id), headers

"""Many tokens resolved at once answer exactly as one at a time (the buy path's batched look-up)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.accounts.models import User
from laotie.core import clock
from laotie.core.auth import Role
from tests.factories import make_user


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_batched_lookup_matches_one_at_a_time(session: Session) -> None:
    buyer_id, buyer = make_user(session)
    staff_id, staff = make_user(session, Role.GOVERNANCE, Role.ADMIN)
    revoked_id, revoked = make_user(session)
    disabled_id, disabled = make_user(session)
    revoked_principal = accounts.resolve_principal(session, _token(revoked))
    assert revoked_principal is not None and revoked_principal.token_id is not None
    accounts.revoke_token(session, revoked_id, revoked_principal.token_id)
    session.scalars(select(User).where(User.id == disabled_id)).one().disabled_at = clock.now()
    session.commit()
    tokens = [_token(h) for h in (buyer, staff, revoked, disabled)] + ["no-such-token", _token(buyer)]

    together = accounts.resolve_principals(session, tokens)

    assert set(together) == set(tokens)
    for token in tokens:
        assert together[token] == accounts.resolve_principal(session, token)
    assert together[_token(buyer)] is not None and together[_token(buyer)].user_id == buyer_id  # type: ignore[union-attr]
    staff_principal = together[_token(staff)]
    assert staff_principal is not None and staff_principal.user_id == staff_id
    assert staff_principal.roles == frozenset({Role.GOVERNANCE, Role.ADMIN})
    assert together[_token(revoked)] is None and together[_token(disabled)] is None
    assert together["no-such-token"] is None
    assert accounts.resolve_principals(session, []) == {}


def test_an_expired_token_resolves_to_nobody(session: Session) -> None:
    _, headers = make_user(session)
    with clock.travel(timedelta(days=365)):
        assert accounts.resolve_principals(session, [_token(headers)]) == {_token(headers): None}
        assert accounts.resolve_principal(session, _token(headers)) is None

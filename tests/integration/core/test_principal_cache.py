"""The principal cache: concurrent misses share one look-up, hits need none, failures hang nobody."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.accounts.models import AccessToken, User
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.principal_cache import PrincipalCache, database_loader
from tests.factories import make_user


class CountingLoader:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, tokens: list[str]) -> dict[str, Principal | None]:
        self.calls.append(list(tokens))
        if self.fail:
            raise RuntimeError("database unreachable")
        return {
            t: Principal(user_id=int(t[1:]), roles=frozenset({Role.BUYER})) if t[0] == "u" else None
            for t in tokens
        }


def test_concurrent_misses_share_one_lookup_and_hits_need_none() -> None:
    loader = CountingLoader()
    cache = PrincipalCache(loader)

    async def rush() -> list[Principal | None]:
        tokens = [f"u{i % 10}" for i in range(50)] + ["nobody"]
        return await asyncio.gather(*(cache.resolve(t) for t in tokens))

    found = asyncio.run(rush())
    assert len(loader.calls) == 1 and sorted(loader.calls[0]) == sorted(
        {f"u{i}" for i in range(10)} | {"nobody"}
    )
    assert [p.user_id if p else None for p in found] == [i % 10 for i in range(50)] + [None]
    assert asyncio.run(cache.resolve("u3")) == Principal(user_id=3, roles=frozenset({Role.BUYER}))
    assert asyncio.run(cache.resolve("nobody")) is None  # a refusal is cached too
    assert len(loader.calls) == 1


def test_a_failed_lookup_fails_its_waiters_and_the_next_one_tries_again() -> None:
    loader = CountingLoader(fail=True)
    cache = PrincipalCache(loader)

    async def rush() -> list[object]:
        return await asyncio.gather(*(cache.resolve(f"u{i}") for i in range(5)), return_exceptions=True)

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(rush()))
    loader.fail = False
    assert asyncio.run(cache.resolve("u1")) is not None
    assert len(loader.calls) == 2


def test_forget_drops_a_cached_answer() -> None:
    loader = CountingLoader()
    cache = PrincipalCache(loader)
    asyncio.run(cache.resolve("u1"))
    cache.forget("u1")
    asyncio.run(cache.resolve("u1"))
    assert len(loader.calls) == 2


def test_database_loader_resolves_real_tokens(db: Database, session: Session) -> None:
    user_id, headers = make_user(session)
    token = headers["Authorization"].removeprefix("Bearer ")
    cache = PrincipalCache(database_loader(db, accounts.resolve_principals))

    async def both() -> list[Principal | None]:
        return await asyncio.gather(cache.resolve(token), cache.resolve("forged"))

    mine, forged = asyncio.run(both())
    assert mine is not None and mine.user_id == user_id and forged is None


def test_forget_user_drops_every_token_of_that_user_only() -> None:
    loader = CountingLoader()
    cache = PrincipalCache(loader)

    async def warm() -> None:
        await asyncio.gather(cache.resolve("u1"), cache.resolve("u2"))

    asyncio.run(warm())
    cache.forget_user(1)
    assert cache.get("u1") == (False, None) and cache.get("u2")[0]


def test_the_batched_look_up_agrees_with_the_single_one(db: Database, session: Session) -> None:
    """Live, revoked, expired, a disabled user's, unknown: ``resolve_principals`` answers each token
    as ``resolve_principal`` does, roles included."""
    tokens = []
    for roles in ((Role.BUYER,), (Role.BUYER, Role.MERCHANT_OWNER), (Role.BUYER,), (Role.BUYER,)):
        user_id, headers = make_user(session, *roles)
        tokens.append((user_id, headers["Authorization"].removeprefix("Bearer ")))
    now = clock.now()
    session.execute(update(AccessToken).where(AccessToken.user_id == tokens[1][0]).values(revoked_at=now))
    session.execute(update(AccessToken).where(AccessToken.user_id == tokens[2][0]).values(expires_at=now))
    session.execute(update(User).where(User.id == tokens[3][0]).values(disabled_at=now))
    session.commit()
    session.expire_all()  # the users registered above are in the identity map as they were
    wanted = [t for _, t in tokens] + ["forged"]
    many = accounts.resolve_principals(session, wanted)
    assert many == {t: accounts.resolve_principal(session, t) for t in wanted}
    assert many[tokens[0][1]] is not None and [v is None for v in many.values()] == [False] + [True] * 4
    user_id, headers = make_user(session, Role.BUYER, Role.MERCHANT_OWNER)
    merchant = accounts.resolve_principals(session, [headers["Authorization"].removeprefix("Bearer ")])
    (principal,) = merchant.values()
    assert principal is not None and principal.roles == {Role.BUYER, Role.MERCHANT_OWNER}

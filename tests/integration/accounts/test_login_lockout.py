"""Issue 9 item 15: five wrong passwords lock that source out of that account, with a backoff that
doubles, and never the real owner logging in from elsewhere."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from laotie.core import clock

PHONE = "13800138077"
GOOD = "laotie123"


def _login(client: TestClient, password: str, identifier: str = PHONE) -> tuple[int, dict[str, object]]:
    r = client.post("/api/v1/accounts/login", json={"identifier": identifier, "password": password})
    return r.status_code, r.json().get("error", {})


def test_an_attacker_locks_out_only_themselves_with_a_growing_backoff(app: FastAPI) -> None:
    attacker = TestClient(app, client=("203.0.113.66", 40000))
    owner = TestClient(app, client=("198.51.100.7", 40000))
    assert owner.post("/api/v1/accounts/signup", json={"phone": PHONE, "password": GOOD}).status_code == 201
    assert [_login(attacker, "wrong1234")[0] for _ in range(5)] == [401] * 5
    status, error = _login(attacker, GOOD)  # even the right password waits: this pair is locked
    assert (status, error["code"]) == (429, "TOO_MANY_LOGINS")
    assert 25 <= error["details"]["retry_after"] <= 30  # type: ignore[index]
    # The owner, from their own address, is not locked out.
    assert _login(owner, GOOD)[0] == 200
    # The attacker's wait doubles with each further failure after it: 30 s, then 60 s, then 120 s.
    with clock.travel(timedelta(seconds=31)):
        assert _login(attacker, "wrong1234")[0] == 401
        status, error = _login(attacker, "wrong1234")
        assert status == 429 and 55 <= error["details"]["retry_after"] <= 60  # type: ignore[index]
    with clock.travel(timedelta(seconds=31 + 61)):
        assert _login(attacker, "wrong1234")[0] == 401
        status, error = _login(attacker, "wrong1234")
        assert status == 429 and 115 <= error["details"]["retry_after"] <= 120  # type: ignore[index]
        # The attacker's address may still log in to another account of its own.
        assert (
            attacker.post(
                "/api/v1/accounts/signup", json={"phone": "13800138078", "password": GOOD}
            ).status_code
            == 201
        )
        assert _login(attacker, GOOD, "13800138078")[0] == 200
    assert _login(owner, GOOD)[0] == 200


def test_a_success_clears_the_pair_and_spraying_many_accounts_is_still_stopped(app: FastAPI) -> None:
    me = TestClient(app, client=("192.0.2.10", 40000))
    assert me.post("/api/v1/accounts/signup", json={"phone": PHONE, "password": GOOD}).status_code == 201
    for _ in range(4):
        assert _login(me, "wrong1234")[0] == 401
    assert _login(me, GOOD)[0] == 200  # the slate is clean again
    for _ in range(4):
        assert _login(me, "wrong1234")[0] == 401
    assert _login(me, GOOD)[0] == 200
    sprayer = TestClient(app, client=("192.0.2.99", 40000))
    codes = [_login(sprayer, "wrong1234", f"1380013{n:04d}")[0] for n in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429  # 4 × 5 failures per window per address

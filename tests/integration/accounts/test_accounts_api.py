from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts.models import User
from laotie.core.auth import Role
from tests.factories import make_user


def _signup(client: TestClient, **body: str):
    return client.post("/api/v1/accounts/signup", json={"password": "laotie123", **body})


def test_sign_up_by_phone_then_log_in_and_read_profile(client: TestClient) -> None:
    r = _signup(client, phone="+86 138-0013-8000", nickname="小王")
    assert r.status_code == 201, r.text
    assert r.json()["user"]["phone"] == "13800138000"
    assert r.json()["user"]["roles"] == ["buyer"]
    r = client.post("/api/v1/accounts/login", json={"identifier": "13800138000", "password": "laotie123"})
    assert r.status_code == 200
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/api/v1/accounts/me", headers=headers).json()
    assert me["nickname"] == "小王"


def test_sign_up_by_email_is_case_insensitive(client: TestClient) -> None:
    assert _signup(client, email="Buyer@Example.com").status_code == 201
    r = client.post(
        "/api/v1/accounts/login", json={"identifier": "buyer@example.COM", "password": "laotie123"}
    )
    assert r.status_code == 200
    assert _signup(client, email="buyer@example.com").json()["error"]["code"] == "ACCOUNT_EXISTS"


def test_bad_sign_ups_are_refused_and_write_nothing(client: TestClient, session: Session) -> None:
    cases = [
        ({"phone": "12345"}, "INVALID_PHONE"),
        ({"phone": "23800138000"}, "INVALID_PHONE"),
        ({"email": "not-an-email"}, "INVALID_EMAIL"),
        ({}, "IDENTIFIER_REQUIRED"),
        ({"phone": "13800138001", "password": "short1"}, "WEAK_PASSWORD"),
        ({"phone": "13800138001", "password": "onlyletters"}, "WEAK_PASSWORD"),
    ]
    for body, code in cases:
        r = client.post("/api/v1/accounts/signup", json={"password": "laotie123", **body})
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_wrong_password_then_rate_limit(client: TestClient) -> None:
    _signup(client, phone="13800138000")
    for _ in range(5):
        r = client.post("/api/v1/accounts/login", json={"identifier": "13800138000", "password": "wrong1234"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "WRONG_CREDENTIALS"
    r = client.post("/api/v1/accounts/login", json={"identifier": "13800138000", "password": "laotie123"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "TOO_MANY_LOGINS"


def test_error_message_follows_accept_language(client: TestClient) -> None:
    r = client.post("/api/v1/accounts/login", json={"identifier": "13800138000", "password": "x"})
    assert r.json()["error"]["message"] == "账号或密码错误"
    r = client.post(
        "/api/v1/accounts/login",
        json={"identifier": "13800138000", "password": "x"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.json()["error"]["message"] == "Wrong account or password"


def test_logout_revokes_the_token(client: TestClient, session: Session) -> None:
    _, headers = make_user(session)
    assert client.get("/api/v1/accounts/me", headers=headers).status_code == 200
    assert client.post("/api/v1/accounts/logout", headers=headers).status_code == 204
    r = client.get("/api/v1/accounts/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_revoke_all_sessions(client: TestClient) -> None:
    _signup(client, phone="13800138000")
    tokens = [
        client.post(
            "/api/v1/accounts/login", json={"identifier": "13800138000", "password": "laotie123"}
        ).json()["access_token"]
        for _ in range(2)
    ]
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    sessions = client.get("/api/v1/accounts/me/sessions", headers=headers).json()
    assert len(sessions) == 3 and sum(s["current"] for s in sessions) == 1
    assert client.post("/api/v1/accounts/me/sessions/revoke-all", headers=headers).json() == {"revoked": 3}
    for token in tokens:
        assert (
            client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )


def test_profile_update_and_creator_role(client: TestClient, session: Session) -> None:
    _, headers = make_user(session)
    r = client.patch(
        "/api/v1/accounts/me", json={"nickname": "带货老铁", "bio": "专卖东北木耳"}, headers=headers
    )
    assert r.json()["nickname"] == "带货老铁"
    r = client.post("/api/v1/accounts/me/roles", json={"role": "creator"}, headers=headers)
    assert sorted(r.json()["roles"]) == ["buyer", "creator"]
    r = client.post("/api/v1/accounts/me/roles", json={"role": "admin"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "ROLE_NOT_GRANTABLE"


def test_only_admins_grant_roles(client: TestClient, session: Session) -> None:
    buyer_id, buyer = make_user(session)
    _, admin = make_user(session, Role.ADMIN)
    r = client.post(f"/api/v1/admin/users/{buyer_id}/roles", json={"role": "governance"}, headers=buyer)
    assert r.status_code == 403
    r = client.post(f"/api/v1/admin/users/{buyer_id}/roles", json={"role": "governance"}, headers=admin)
    assert r.status_code == 200 and "governance" in r.json()["roles"]

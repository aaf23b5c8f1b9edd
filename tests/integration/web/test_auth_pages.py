from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Role
from tests.factories import PASSWORD, make_user
from tests.factories.web import sign_in


def test_sign_up_page_creates_account_and_sets_httponly_cookie(client: TestClient) -> None:
    assert "注册老铁账号" in client.get("/signup").text
    r = client.post(
        "/signup",
        data={"identifier": "13800138000", "password": "laotie123", "nickname": "小王", "next": "/search"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/search"
    cookie = r.headers["set-cookie"]
    assert "laotie_token=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert "小王" in home.text and "退出" in home.text


def test_sign_up_errors_are_shown_in_chinese(client: TestClient) -> None:
    r = client.post("/signup", data={"identifier": "12345", "password": "laotie123"})
    assert r.status_code == 422
    assert "手机号格式不正确" in r.text
    assert "laotie_token" not in client.cookies


def _register(session: Session, phone: str, nickname: str = "") -> None:
    accounts.register(session, password=PASSWORD, phone=phone, nickname=nickname)
    session.commit()


def test_log_in_sets_the_cookie_and_wrong_password_does_not(client: TestClient, session: Session) -> None:
    _register(session, "13800138001", "老铁甲")
    r = client.post("/login", data={"identifier": "13800138001", "password": "wrong1234"})
    assert r.status_code == 401 and "账号或密码错误" in r.text
    assert "laotie_token" not in client.cookies
    r = client.post(
        "/login", data={"identifier": "13800138001", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303 and "laotie_token" in client.cookies
    assert "老铁甲" in client.get("/").text


def test_log_in_redirects_only_to_local_paths(client: TestClient, session: Session) -> None:
    _register(session, "13800138002")
    for target, expected in [("/merchant", "/merchant"), ("//evil.example", "/"), ("https://x.cn", "/")]:
        r = client.post(
            "/login",
            data={"identifier": "13800138002", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == expected


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient) -> None:
    for path in ["/merchant", "/governance", "/merchant/shops/1/products/new"]:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    r = client.get("/merchant?status=draft")
    assert "登录老铁" in r.text


def test_buyers_get_a_chinese_refusal_from_the_governance_console(
    client: TestClient, session: Session
) -> None:
    _, headers = make_user(session)
    sign_in(client, headers)
    r = client.get("/governance")
    assert r.status_code == 403
    assert "没有权限进行此操作" in r.text and "FORBIDDEN" in r.text


def test_log_out_revokes_the_session(client: TestClient, session: Session) -> None:
    _, headers = make_user(session, Role.GOVERNANCE)
    sign_in(client, headers)
    assert client.get("/governance").status_code == 200
    token = client.cookies["laotie_token"]
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set("laotie_token", token)  # even a kept copy of the cookie no longer works
    assert client.get("/governance", follow_redirects=False).status_code == 303

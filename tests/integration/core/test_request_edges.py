"""Inputs the fuzzer found to break the API with a 500 are refused at the door with a 422."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.categories.models import Category
from laotie.core.auth import Role
from laotie.core.ids import MAX_ID
from tests.factories import make_user


def _categories(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(Category)) or 0
    session.rollback()  # on SQLite an open transaction would hold the write lock the app needs
    return count


def test_nul_characters_are_refused_everywhere_and_write_nothing(
    client: TestClient, session: Session
) -> None:
    _, admin = make_user(session, Role.ADMIN)
    before = _categories(session)
    refused = [
        client.post("/api/v1/categories", content='{"name": "a\\u0000b"}', headers=admin | _json()),
        client.post("/api/v1/categories", json={"name": "a\x00b"}, headers=admin),
        client.get("/api/v1/categories?x=%00"),
        client.post("/api/v1/accounts/login", content="identifier=a%00&password=x", headers=_form()),
    ]
    for r in refused:
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert _categories(session) == before
    # A backslash followed by "u0000" is ordinary text, not a NUL.
    r = client.post("/api/v1/categories", content='{"name": "a\\\\u0000b"}', headers=admin | _json())
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "a\\u0000b"


def test_ids_beyond_the_id_range_are_invalid_not_an_overflow(client: TestClient) -> None:
    for raw in (str(MAX_ID + 1), "99999999999999999999", "0"):
        r = client.get(f"/api/v1/categories/{raw}")
        assert r.status_code == 422, (raw, r.text)
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get(f"/api/v1/categories/{MAX_ID}").json()["error"]["code"] == "CATEGORY_NOT_FOUND"


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}

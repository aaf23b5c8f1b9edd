"""Browser-side helpers for page tests: the session cookie the log-in page would have set."""

from __future__ import annotations

from fastapi.testclient import TestClient

TOKEN_COOKIE = "laotie_token"


def sign_in(client: TestClient, headers: dict[str, str]) -> None:
    """Make ``client`` act as the user whose bearer ``headers`` a factory returned, via the cookie."""
    client.cookies.set(TOKEN_COOKIE, headers["Authorization"].removeprefix("Bearer "))


def sign_out(client: TestClient) -> None:
    client.cookies.clear()

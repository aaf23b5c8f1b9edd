"""Payments over HTTP: the buyer follows their own payment, pays at the sandbox cashier, and the sandbox
delivers its webhooks by itself from a background thread of a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.app import create_app
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.ledger.schemas import AccountKind as K
from laotie.settings import Settings, get_settings
from tests.factories import make_user
from tests.factories.payments import balance, confirm, make_intent, pay, state


def test_the_buyer_sees_their_payment_and_nobody_else_does(
    db: Database, session: Session, client: TestClient
) -> None:
    buyer_id, headers = make_user(session)
    _, stranger = make_user(session)
    _, staff = make_user(session, Role.GOVERNANCE)
    intent = make_intent(session, buyer_id)
    url = f"/api/v1/payments/intents/{intent.id}"
    r = client.get(url, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "requires_confirmation"
    assert r.json()["client_secret"] == intent.client_secret
    r = client.get(url, headers=stranger)
    assert r.status_code == 404 and r.json()["error"]["code"] == "PAYMENT_NOT_FOUND"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=staff).status_code == 200
    assert client.get("/api/v1/payments/intents/999999", headers=headers).json()["error"]["code"] == (
        "PAYMENT_NOT_FOUND"
    )
    pay(db, client, intent)
    trail = client.get(f"{url}/events", headers=headers).json()
    assert [e["to_status"] for e in trail] == ["requires_confirmation", "processing", "succeeded"]


def test_the_cashier_checks_secret_and_payment_method(
    db: Database, session: Session, client: TestClient
) -> None:
    intent = make_intent(session)
    page = client.get(
        intent.next_action_url.removesuffix("/confirm"), params={"client_secret": intent.client_secret}
    )
    assert page.status_code == 200 and page.json()["amount_fen"] == intent.amount_fen
    assert "tok_decline" in page.json()["payment_methods"]
    wrong = client.post(intent.next_action_url, json={"client_secret": "guess", "payment_method": "tok_ok"})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "PAYMENT_NOT_FOUND"
    r = confirm(client, intent, "tok_stolen_card")
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_PAYMENT_METHOD"
    r = confirm(client, intent)
    assert r.status_code == 202 and r.json()["status"] == "processing"  # the outcome comes by webhook
    r = confirm(client, intent)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ALREADY_PAID"
    assert state(db, intent.id).status == "requires_confirmation"


def test_sign_a_pay_later_agreement(session: Session, client: TestClient) -> None:
    _, headers = make_user(session)
    assert client.get("/api/v1/payments/agreements/me", headers=headers).status_code == 404
    r = client.post("/api/v1/payments/agreements", headers=headers)
    assert r.status_code == 201 and r.json()["active"]
    assert client.post("/api/v1/payments/agreements", headers=headers).json()["id"] == r.json()["id"]
    assert client.delete("/api/v1/payments/agreements/me", headers=headers).status_code == 204
    assert client.get("/api/v1/payments/agreements/me", headers=headers).status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real server whose embedded sandbox posts webhooks back to itself over HTTP."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LAOTIE_SANDBOX_WEBHOOK_DELAY_SECONDS", "0.2")
    get_settings.cache_clear()
    settings = Settings(
        database_url=db.url, media_dir=tmp_path / "media", embedded_worker=True, public_url=base
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db=db), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_the_sandbox_delivers_its_webhooks_by_itself(
    db: Database, session: Session, live_server: str
) -> None:
    buyer_id, headers = make_user(session)
    intent = make_intent(session, buyer_id, amount_fen=4200)
    with httpx.Client(base_url=live_server, timeout=10) as http:
        r = http.post(
            intent.next_action_url, json={"client_secret": intent.client_secret, "payment_method": "tok_ok"}
        )
        assert r.status_code == 202
        deadline = time.monotonic() + 15
        status = ""
        while time.monotonic() < deadline:
            status = http.get(f"/api/v1/payments/intents/{intent.id}", headers=headers).json()["status"]
            if status == "succeeded":
                break
            time.sleep(0.1)
    assert status == "succeeded"
    assert balance(db, K.PSP_CASH) == 4200

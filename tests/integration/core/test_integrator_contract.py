"""Issue 9 item 16 (this branch's part): what the OpenAPI document promises is what the server does,
and the operator is told what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from laotie import cli
from laotie.payments.sandbox.signature import HEADER
from laotie.settings import get_settings
from tests.factories.orders import make_buyer, make_on_sale

ROOT = Path(__file__).resolve().parents[3]


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.openapi()
    return [(m.upper(), p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_the_idempotency_key_is_marked_required_everywhere_it_is_taken(app: FastAPI) -> None:
    taking = []
    for method, path, op in _operations(app):
        for param in op.get("parameters", []):
            if param["name"].lower() == "idempotency-key":
                taking.append(f"{method} {path}")
                assert param["required"] is True, f"{method} {path}"
                assert param["schema"].get("minLength") == 1
    assert {"POST /api/v1/checkout", "POST /api/v1/orders/buy-now", "POST /api/v1/aftersales/cases"} <= set(
        taking
    )
    assert len(taking) >= 10


@pytest.mark.parametrize("key", [None, ""])
def test_a_missing_or_empty_key_keeps_its_stable_code(
    client: TestClient, session: Session, key: str | None
) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    headers = {**buyer.headers, **({"Idempotency-Key": key} if key is not None else {})}
    body = {
        "lines": [{"sku_id": sale.sku_id, "quantity": 1, "expected_unit_price_fen": sale.price_fen}],
        "address_id": buyer.address_id,
    }
    r = client.post("/api/v1/checkout", headers=headers, json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REQUIRED")
    # Another fault in the same request is still reported as the validation error it is.
    r = client.post("/api/v1/checkout", headers=headers, json={**body, "address_id": "x"})
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_the_sandbox_webhook_documents_its_header_event_and_signature(app: FastAPI) -> None:
    op = app.openapi()["paths"]["/api/v1/payments/webhooks/sandbox"]["post"]
    (header,) = [p for p in op["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"]) == (HEADER, True)
    event = op["requestBody"]["content"]["application/json"]["schema"]
    assert event["required"] == ["id", "type", "created", "data"]
    assert "payment.succeeded" in event["properties"]["type"]["enum"]
    assert "HMAC-SHA256" in op["description"] and HEADER in op["description"]
    doc = (ROOT / "docs" / "payments-webhooks.md").read_text()
    assert HEADER in doc and "HMAC-SHA256" in doc and "payment.succeeded" in doc
    batch = app.openapi()["paths"]["/api/v1/payments/webhooks/sandbox/batch"]["post"]
    (header,) = [p for p in batch["parameters"] if p["in"] == "header"]
    assert header["name"] == HEADER
    events = batch["requestBody"]["content"]["application/json"]["schema"]["properties"]["events"]
    assert events["items"] == event and events["maxItems"] == 100
    assert "results" in batch["description"] and "/webhooks/sandbox/batch" in doc


def test_a_video_comment_has_one_limit_in_the_schema_and_on_the_server(app: FastAPI) -> None:
    schema = app.openapi()["components"]["schemas"]["CommentIn"]["properties"]["body"]
    assert schema["maxLength"] == get_settings().video_comment_max_chars == 200


def test_migrate_says_it_created_the_schema_then_that_it_is_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("LAOTIE_DATABASE_URL", url)  # `migrate` exports it; put it back afterwards
    first = CliRunner().invoke(cli.app, ["migrate", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "created the schema" in first.output and "已创建数据库结构" in first.output
    again = CliRunner().invoke(cli.app, ["migrate", "--database-url", url])
    assert "already up to date" in again.output and "created the schema" not in again.output


def test_serve_turns_the_access_log_on_and_bounds_slow_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setattr(cli, "_secure", lambda: None)
    monkeypatch.setenv("LAOTIE_PUBLIC_URL", "http://127.0.0.1:8000")
    cli._serve("127.0.0.1", 8000, 1)
    assert seen["access_log"] is True
    assert seen["log_config"]["formatters"]["access"] == {"format": "%(levelname)s:     %(message)s"}
    assert seen["http"] == "laotie.core.http_server:TimedHttpProtocol"
    assert seen["timeout_keep_alive"] == get_settings().http_keep_alive_seconds
    assert seen["h11_max_incomplete_event_size"] == get_settings().http_max_header_bytes

"""The running app hides query-string secrets in uvicorn's access log (nginx's on_publish callback)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient

from laotie.core.access_log import ACCESS_LOGGER, RedactSecrets


def _redacting() -> list[logging.Filter]:
    return [f for f in logging.getLogger(ACCESS_LOGGER).filters if isinstance(f, RedactSecrets)]


def test_the_app_redacts_its_access_log_while_it_runs(app: FastAPI) -> None:
    assert _redacting() == []
    with TestClient(app) as client:
        assert len(_redacting()) == 1
        client.get("/api/v1/health")
    assert _redacting() == [], "the filter leaves with the app"

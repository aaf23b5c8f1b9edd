"""FastAPI's native OpenTelemetry runs only when the operator asks for it (``opentelemetry``): by
default no request asks the OpenTelemetry API for its global providers."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from laotie.app import create_app
from laotie.core.db import Database
from laotie.settings import Settings


class _OperatorsProvider:
    """Stands for a tracer provider an operator configured (an SDK's, not the API's deferred one)."""


@pytest.mark.parametrize("asked", [False, True])
def test_telemetry_follows_the_setting(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, db: Database, asked: bool
) -> None:
    asks: list[str] = []

    def provider() -> _OperatorsProvider:
        asks.append("tracer")
        return _OperatorsProvider()

    monkeypatch.setattr(trace, "get_tracer_provider", provider)
    app = create_app(settings.model_copy(update={"opentelemetry": asked}), db=db)
    assert app._native_telemetry.enabled() is asked
    assert bool(asks) is asked  # off: the global providers are not even looked up

"""Issue 9 item 4: no server starts with a published or missing secret; the embedded set-up makes its own."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laotie.app import create_app
from laotie.cli import app as cli
from laotie.core import install_secrets
from laotie.core.install_secrets import InsecureSecrets, secure
from laotie.settings import Settings, get_settings

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/none"
SAFE = {
    "secret_key": "k" * 32,
    "payment_webhook_secret": "w" * 32,
    "media_callback_secret": "m" * 32,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in install_secrets.SECRET_SETTINGS:
        monkeypatch.delenv(install_secrets.env_name(name), raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_settings_ship_no_secret() -> None:
    fields = Settings.model_fields
    assert all(fields[name].default == "" for name in install_secrets.SECRET_SETTINGS)


@pytest.mark.parametrize("name", install_secrets.SECRET_SETTINGS)
def test_a_published_default_is_refused_even_embedded(name: str, tmp_path: Path) -> None:
    published = {
        "secret_key": "dev-only-change-me",
        "payment_webhook_secret": "whsec-dev-only-change-me",
        "media_callback_secret": "media-dev-only-change-me",
    }[name]
    settings = Settings(
        database_url="sqlite:///x.db", secrets_file=tmp_path / "s.json", **{**SAFE, name: published}
    )
    with pytest.raises(InsecureSecrets, match=install_secrets.env_name(name)):
        secure(settings)


def test_at_scale_a_missing_secret_is_refused_and_nothing_is_generated(tmp_path: Path) -> None:
    settings = Settings(
        database_url=PG, secrets_file=tmp_path / "s.json", **{**SAFE, "payment_webhook_secret": ""}
    )
    with pytest.raises(InsecureSecrets, match="LAOTIE_PAYMENT_WEBHOOK_SECRET is not set"):
        secure(settings)
    assert not (tmp_path / "s.json").exists()
    assert secure(Settings(database_url=PG, **SAFE)) == {}


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InsecureSecrets, match="shorter than 16"):
        secure(Settings(database_url=PG, **{**SAFE, "secret_key": "short"}))


def test_the_embedded_install_generates_random_secrets_once_and_reuses_them(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.json"
    settings = Settings(database_url="sqlite:///x.db", secrets_file=path)
    first = secure(settings)
    assert set(first) == {install_secrets.env_name(n) for n in install_secrets.SECRET_SETTINGS}
    assert all(len(v) >= 32 for v in first.values()) and len(set(first.values())) == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secure(settings) == first  # the next start reuses them
    assert json.loads(path.read_text())["payment_webhook_secret"] == first["LAOTIE_PAYMENT_WEBHOOK_SECRET"]
    # A value set in the environment wins over the file (and is not overwritten).
    assert "LAOTIE_SECRET_KEY" not in secure(
        Settings(database_url="sqlite:///x.db", secrets_file=path, secret_key="e" * 20)
    )
    # Another install gets other secrets.
    assert secure(Settings(database_url="sqlite:///x.db", secrets_file=tmp_path / "other.json")) != first


def test_the_server_process_refuses_a_public_webhook_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAOTIE_PAYMENT_WEBHOOK_SECRET", "whsec-dev-only-change-me")
    with pytest.raises(InsecureSecrets, match="LAOTIE_PAYMENT_WEBHOOK_SECRET is a published default"):
        create_app()  # what uvicorn's factory calls


def test_the_embedded_server_process_signs_with_its_generated_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAOTIE_DATABASE_URL", f"sqlite:///{clean_env / 'x.db'}")
    for name in install_secrets.SECRET_SETTINGS:  # the generated values land in the environment
        monkeypatch.setenv(install_secrets.env_name(name), "")
    app = create_app()
    stored = json.loads((clean_env / "var" / "secrets.json").read_text())
    assert app.state.settings.payment_webhook_secret == stored["payment_webhook_secret"]
    assert get_settings().payment_webhook_secret == stored["payment_webhook_secret"]
    app.state.db.dispose()


def test_laotie_serve_refuses_to_start_without_secrets_at_scale(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAOTIE_DATABASE_URL", PG)  # `serve` exports it; the fixture puts it back
    result = CliRunner().invoke(cli, ["serve", "--database-url", PG])
    assert result.exit_code == 2
    assert "refusing to start" in result.output and "LAOTIE_PAYMENT_WEBHOOK_SECRET" in result.output
    assert "LAOTIE_MEDIA_CALLBACK_SECRET" in result.output

"""The platform's secrets at start-up: never a public default.

A secret that ships in the source (the old ``whsec-dev-only-change-me``) signs forged payment webhooks
for anyone who reads the source. So the settings ship none, and a server refuses to start with a secret
that is unset, short or one of the published defaults. The embedded set-up (SQLite: one machine, the
demo) generates random ones once per install in ``settings.secrets_file`` (mode 0600) and reuses them
at every start; at scale (PostgreSQL, several processes or hosts that must share one value) they come
from the environment, and a missing one stops the start with the names to set.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from laotie.settings import Settings, get_settings

# Every setting that holds a secret, and the environment variable that sets it.
SECRET_SETTINGS = ("secret_key", "payment_webhook_secret", "media_callback_secret")
# Values published in earlier releases (and their docs): refused everywhere, even when set on purpose.
PUBLIC_DEFAULTS = frozenset(
    {"dev-only-change-me", "whsec-dev-only-change-me", "media-dev-only-change-me", "changeme", "secret"}
)
MIN_SECRET_CHARS = 16


class InsecureSecrets(RuntimeError):
    """The server must not start: a secret is unset or public. The message says what to set."""


def env_name(setting: str) -> str:
    return f"LAOTIE_{setting.upper()}"


def problems(settings: Settings) -> list[str]:
    """What is wrong with each secret, in words an operator acts on (empty when all are fine)."""
    found = []
    for name in SECRET_SETTINGS:
        value: str = getattr(settings, name)
        if not value:
            found.append(f"{env_name(name)} is not set")
        elif value in PUBLIC_DEFAULTS:
            found.append(f"{env_name(name)} is a published default")
        elif len(value) < MIN_SECRET_CHARS:
            found.append(f"{env_name(name)} is shorter than {MIN_SECRET_CHARS} characters")
    return found


def is_embedded(settings: Settings) -> bool:
    """The single-machine set-up (`laotie demo`, `laotie serve` with its defaults): a SQLite file."""
    return settings.database_url.startswith("sqlite")


def _install_file(path: Path) -> dict[str, str]:
    """This install's generated secrets: read back, or created once (random, readable by the owner only)."""
    if path.exists():
        stored = json.loads(path.read_text())
        if isinstance(stored, dict) and all(isinstance(stored.get(n), str) for n in SECRET_SETTINGS):
            return {n: stored[n] for n in SECRET_SETTINGS}
    values = {name: secrets.token_urlsafe(32) for name in SECRET_SETTINGS}
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a new file with 0600 from the first byte, then moved over: no window where others read it.
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    partial.replace(path)
    return values


def secure(settings: Settings) -> dict[str, str]:
    """The environment variables to export so every part of this process (and its workers) uses safe
    secrets, or ``InsecureSecrets``. Unset secrets come from the install's file in the embedded set-up;
    a value set in the environment always wins, and is checked like any other."""
    fill: dict[str, str] = {}
    if is_embedded(settings) and any(not getattr(settings, n) for n in SECRET_SETTINGS):
        generated = _install_file(settings.secrets_file)
        fill = {env_name(n): generated[n] for n in SECRET_SETTINGS if not getattr(settings, n)}
    checked = settings.model_copy(update={n: generated_or(settings, n, fill) for n in SECRET_SETTINGS})
    found = problems(checked)
    if found:
        where = (
            "" if is_embedded(settings) else " (generated secrets are only for the embedded SQLite set-up)"
        )
        raise InsecureSecrets(
            "拒绝启动 refusing to start: "
            + "; ".join(found)
            + where
            + ". Set each to a random value of at least "
            + f"{MIN_SECRET_CHARS} characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return fill


def generated_or(settings: Settings, name: str, fill: dict[str, str]) -> str:
    return fill.get(env_name(name), getattr(settings, name))


def secure_process_settings() -> Settings:
    """The settings this server process runs with, its secrets made safe (or ``InsecureSecrets``).
    Services read ``get_settings()``, so generated values go into the environment, which uvicorn's
    worker processes inherit too."""
    fill = secure(get_settings())
    if fill:
        os.environ.update(fill)
        get_settings.cache_clear()
    return get_settings()


def random_secrets_env() -> dict[str, str]:
    """Fresh random secrets as environment variables: for a throw-away server (benchmarks, tests)."""
    return {env_name(n): secrets.token_urlsafe(32) for n in SECRET_SETTINGS}

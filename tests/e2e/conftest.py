"""Fixtures every end-to-end test uses: fresh SQLite sites, uvicorn servers on free ports that are
stopped when the module is done, Chromium through Playwright, and the screenshot helper.

A module-scoped fixture of a test file seeds what its test needs between the two steps:

    site = fresh_site("promo")          # schema and default categories, in its own folder
    ...seed through site.database()...
    base = serve(site)                  # http://127.0.0.1:<port>, healthy
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    Shots,
    Site,
    docs_shots_target,
    make_site,
    start_server,
)


@pytest.fixture(scope="module")
def fresh_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Site]:
    """``fresh_site(name)``: a new folder with a fresh database, schema built, categories seeded."""

    def make(name: str) -> Site:
        return make_site(tmp_path_factory.mktemp(name))

    return make


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[..., str]]:
    """``serve(site, port=None, env=None)``: the base URL of a healthy uvicorn serving ``site``; every
    server started through it stops at the end of the module."""
    started: list[Server] = []

    def start(site: Site, *, port: int | None = None, env: dict[str, str] | None = None) -> str:
        server = start_server(site, port=port, env=env)
        started.append(server)
        return server.base

    yield start
    for server in started:
        server.process.terminate()
    for server in started:
        server.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright from PyPI (``playwright install`` downloads; never)."""
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is required for the browser tests and /usr/bin/chromium is missing: "
            "install Debian's `chromium` package (make system-deps). Never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Shots:
    """``shots.take(page, "name.png")``: into the test's folder, and docs/screenshots/ on request."""
    return Shots(tmp_path, docs_shots_target())

"""What the browser and process tests share: a fresh SQLite site, uvicorn started against it on a free
port and waited on until healthy, Chromium's launch options, signing a browser context in, and
screenshots that refresh docs/screenshots/ only on request. The fixtures in conftest.py wrap these;
the plain functions are here so a test module can also call them (free ports for nginx, say)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations.registry import metadata
from tests.factories.web import TOKEN_COOKIE

ROOT = Path(__file__).resolve().parents[2]
DOCS_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
UVICORN = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory", "--host", "127.0.0.1"]
# A shot smaller than this is a blank or broken page, not a picture of one.
MIN_SHOT_BYTES = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass(frozen=True)
class Site:
    """A folder holding one fresh SQLite database (schema and default categories) and its media."""

    home: Path
    url: str
    media: Path

    def database(self) -> Database:
        return Database(self.url)


def make_site(home: Path) -> Site:
    site = Site(home=home, url=f"sqlite:///{home / 'laotie.db'}", media=home / "media")
    db = site.database()
    try:
        metadata.create_all(db.engine)
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            session.commit()
    finally:
        db.dispose()
    return site


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(site: Site, *, port: int | None = None, env: dict[str, str] | None = None) -> Server:
    """uvicorn serving ``site`` in its own process, returned once /api/v1/health answers 200.

    ``env`` adds or overrides LAOTIE_* settings. The server's output goes to a log file in the site's
    folder (a pipe nobody reads would stall a chatty server) and is shown if it fails to start."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "LAOTIE_DATABASE_URL": site.url,
        "LAOTIE_MEDIA_DIR": str(site.media),
        # the sandbox PSP posts its webhooks back to this server
        "LAOTIE_PUBLIC_URL": base,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
    }
    log = site.home / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*UVICORN, "--port", str(port), "--log-level", "warning"],
            env={**os.environ, **settings},
            cwd=site.home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(base=base, process=process, log=log)

    def healthy() -> bool:
        if process.poll() is not None:
            return True  # dead: stop waiting, reported below
        try:
            return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 60, f"the server at {base}")
        if process.poll() is not None:
            raise AssertionError(f"the server at {base} exited with {process.returncode}")
    except AssertionError as exc:
        server.stop()
        pytest.fail(f"{exc}:\n{log.read_text(errors='replace')}", pytrace=False)
    return server


def browser_context(
    browser: Any, width: int = 1280, height: int = 900, *, signed_in: tuple[str, dict[str, str]] | None = None
) -> Any:
    """A Chinese-locale browser context; ``signed_in=(base, headers)`` carries the API token of
    ``headers`` as the login cookie for ``base``."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    if signed_in is not None:
        base, headers = signed_in
        token = headers["Authorization"].removeprefix("Bearer ")
        context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": base}])
    return context


def new_page(context: Any) -> Any:
    """A page that waits 20 s for what it is told to expect: the server may be busy seeding or paying."""
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def submit_login(page: Any, phone: str, password: str) -> None:
    """Fill and send the login form the page is showing."""
    page.fill("input[name=identifier]", phone)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()


def docs_shots_target() -> Path | None:
    """Where screenshots are refreshed: docs/screenshots/ with LAOTIE_SCREENSHOTS=1, the folder it
    names otherwise (docs/aftersales.md's ``LAOTIE_SCREENSHOTS=docs/screenshots``), nowhere unset, so
    that a plain test run leaves the tree clean."""
    value = os.environ.get("LAOTIE_SCREENSHOTS", "")
    if not value:
        return None
    return DOCS_SHOTS if value == "1" else Path(value)


class Shots:
    """Screenshots into a test's temporary folder, each checked to be a real picture, and copied to
    the documentation's folder when one was asked for."""

    def __init__(self, folder: Path, docs: Path | None) -> None:
        self.folder = folder
        self.docs = docs

    def take(self, page: Any, name: str, *, full_page: bool = False, for_docs: bool = True) -> Path:
        """``for_docs=False`` for pictures the documentation does not show (they come from elsewhere)."""
        path = self.folder / name
        page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > MIN_SHOT_BYTES, f"{name} looks blank"
        if for_docs and self.docs is not None:
            self.docs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.docs / name)
        return path


def wait_until_indexed(base: str, products: int, timeout: float = 180.0) -> None:
    """Wait until the server's outbox worker has put ``products`` listed products into search (a
    seeded site's events are handled once the server runs)."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/search/products?limit=1", timeout=30) as r:
                total = json.loads(r.read())["total"]
        except OSError:  # the server is busy with the seeded events: ask again
            total = -1
        if total >= products:
            return
        time.sleep(0.5)
    raise AssertionError(f"search has {total} of {products} products after {timeout} s")

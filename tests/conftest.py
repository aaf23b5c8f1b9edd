"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is required: the suite fails (it does not skip) when it cannot reach
``LAOTIE_TEST_POSTGRES_URL`` (default postgres@127.0.0.1:5432). Each pytest-xdist worker gets
its own PostgreSQL database and SQLite file; tables are emptied between tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from laotie import bootstrap
from laotie.app import create_app
from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.feed import service as feed
from laotie.ledger import service as ledger
from laotie.migrations.registry import metadata
from laotie.search import service as search
from laotie.settings import Settings, get_settings

POSTGRES_ADMIN_URL = os.environ.get(
    "LAOTIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Separate checkouts testing at once on one PostgreSQL set different prefixes.
DB_PREFIX = os.environ.get("LAOTIE_TEST_DB_PREFIX", "laotie")
# `make test-fast` runs on SQLite alone (LAOTIE_TEST_BACKENDS=sqlite); `make test` and CI on both.
BACKENDS = [b for b in os.environ.get("LAOTIE_TEST_BACKENDS", "sqlite,postgres").split(",") if b]
KEEP_SEEDED = {"categories_category"}
bootstrap.wire()  # the process-wide bus, jobs and providers, as every laotie process wires them
# Secrets ship no default (core.install_secrets); the tests' own, never a server's.
TEST_MEDIA_CALLBACK_SECRET = "media-test-callback-secret"
os.environ.setdefault("LAOTIE_MEDIA_CALLBACK_SECRET", TEST_MEDIA_CALLBACK_SECRET)
os.environ.setdefault("LAOTIE_VIDEO_LINK_HOSTS", '["cdn.example.com"]')  # linked videos' allowed host


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def postgres_url_for(name: str) -> str:
    """Create (afresh) a PostgreSQL database for this worker and return its URL."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database need not survive a crash, so its commits need not wait for the disk.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite and is unreachable at {POSTGRES_ADMIN_URL}: {exc}. "
            "Start it (see README) or set LAOTIE_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    sqlite_file = tmp_path_factory.mktemp("sqlite") / "laotie.db"
    urls = {"sqlite": f"sqlite:///{sqlite_file}"}
    if "postgres" in BACKENDS:
        urls["postgres"] = postgres_url_for(f"{DB_PREFIX}_test_{_worker()}")
    return urls


_databases: dict[str, Database] = {}
_seeded_top: dict[Database, int] = {}  # the last id of the default category tree, per database


def _database(backend: str, url: str) -> Database:
    if backend not in _databases:
        db = Database(url)
        metadata.create_all(db.engine)
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            session.commit()
        with db.engine.connect() as conn:
            _seeded_top[db] = conn.execute(text("SELECT max(id) FROM categories_category")).scalar_one()
        _databases[backend] = db
    return _databases[backend]


def _empty_tables(db: Database) -> None:
    search.forget_process_caches()  # they follow writes, not tables emptied under them
    feed.forget_pending_impressions()  # shown in an earlier test, against rows now gone
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEEP_SEEDED]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
        else:
            _empty_postgres(conn, tables)
        # Categories a test added go too: a later test (the simulator's world) sees the default tree.
        conn.execute(text("DELETE FROM categories_category WHERE id > :top"), {"top": _seeded_top[db]})


_OWNED_SEQUENCES = text(
    "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
    " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(:tables)"
)


def _empty_postgres(conn: Connection, tables: list[Table]) -> None:
    """Delete the rows of the tables that have any, children first, and restart the id sequences
    that moved: as TRUNCATE ... RESTART IDENTITY leaves them, in a few milliseconds instead of half a
    second (TRUNCATE makes every one of ~120 tables a new file, which was a tenth of CI's time)."""
    probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
    filled = set(conn.execute(text(probe)).scalars())
    for table in tables:
        if table.name in filled:
            conn.execute(table.delete())
    owned = conn.execute(_OWNED_SEQUENCES, {"tables": [t.name for t in tables]}).scalars().all()
    moved = conn.execute(
        text("SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL AND sequencename = ANY(:s)"),
        {"s": list(owned)},
    ).scalars()
    restarts = [f"setval('\"{name}\"', 1, false)" for name in moved]
    if restarts:
        conn.execute(text("SELECT " + ", ".join(restarts)))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, backend_urls: dict[str, str]) -> Iterator[Database]:
    """A clean database on each backend, with the default category tree. After every test the
    books must balance (house rule 4): the ledger check runs here, for every database test."""
    database = _database(request.param, backend_urls[request.param])
    _empty_tables(database)
    yield database
    with unit_of_work(database, read_only=True) as s:
        books = ledger.check(s)
    assert books.ok, f"the ledger does not balance after this test: {books.problems}"


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with unit_of_work(db) as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(database_url=db.url, media_dir=tmp_path / "media", embedded_worker=False)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with production cost takes ~50 ms a hash; tests make hundreds of users."""
    from argon2 import PasswordHasher

    from laotie.core import auth

    production = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth._hasher = production


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for database in _databases.values():
        database.dispose()

"""Declarative base, column types and the engine for SQLite (embedded) and PostgreSQL (at scale)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC, even from SQLite which keeps no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use laotie.core.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_TIMEOUT_S = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


class _WriteGate:
    """This process's writers take turns at a lock of their own before SQLite's write lock.

    SQLite's busy handler polls: a writer that finds the database locked sleeps 1, 2, 5 … up to
    100 ms between tries, whether the holder needs a millisecond or a second. With a handful of
    threads writing short transactions (the pay path's writer, the outbox worker, the jobs, the
    sandbox's sender) most of the time went into those sleeps, the lock free (issue 15). Queued here
    instead, the next writer starts the moment the last one commits or rolls back. Other processes
    still meet at SQLite's own lock; a writer that waits here longer than the busy timeout goes on to
    it and waits there as before, so nothing can wait forever on this gate."""

    def __init__(self, timeout_s: float) -> None:
        self.lock = threading.Lock()
        self.timeout_s = timeout_s
        self.holders: set[int] = set()

    def begin(self, conn: Any) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        acquired = self.lock.acquire(timeout=self.timeout_s)
        if acquired:
            self.holders.add(id(dbapi_connection))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(dbapi_connection)
            raise

    def release(self, dbapi_connection: Any) -> None:
        # The dialect is handed the pool's proxy or the raw connection, depending on the caller.
        key = id(getattr(dbapi_connection, "dbapi_connection", None) or dbapi_connection)
        if key in self.holders:
            self.holders.discard(key)
            self.lock.release()

    def install(self, engine: Engine) -> None:
        """Release after the DBAPI's commit or rollback (the engine's events fire before them)."""
        dialect = engine.dialect
        commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_close(dbapi_connection: Any) -> None:
            try:
                close(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]
        dialect.do_close = do_close  # type: ignore[method-assign]
        # Take the write lock at BEGIN: a deferred transaction that later writes can fail with
        # "database is locked" instead of waiting, which breaks concurrent writers.
        event.listen(engine, "begin", self.begin)


def _sqlite_begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine with the project's settings. On SQLite, writers BEGIN IMMEDIATE; a
    ``read_only`` engine keeps deferred transactions so readers never queue behind writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, emit BEGIN so that it can be IMMEDIATE.
        event.listen(engine, "connect", lambda dbapi_conn, _r: setattr(dbapi_conn, "isolation_level", None))
        if read_only:
            event.listen(engine, "begin", _sqlite_begin_deferred)
        else:
            _WriteGate(timeout_s=SQLITE_BUSY_TIMEOUT_S).install(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True, **kwargs)


# Connections beyond the pool size, for users other than requests: the outbox worker, periodic
# jobs, the order placement batcher, the CLI, and LOOKUP_SESSIONS short reads (``core.http``).
POOL_SPARE = 8
LOOKUP_SESSIONS = 4


class Database:
    """An engine and the session factory bound to it.

    ``pool_size`` connections per engine serve requests: ``core.http.get_session`` admits that many
    at once, so a request never waits for a connection while holding a worker thread (the hang
    described there). ``POOL_SPARE`` more serve everything else.
    """

    def __init__(self, url: str, pool_size: int = 20, **engine_kwargs: Any) -> None:
        self.url = url
        self.pool_size = pool_size
        if make_url(url).database not in (None, "", ":memory:"):
            pool = {"pool_size": pool_size, "max_overflow": POOL_SPARE, "pool_timeout": 30}
            engine_kwargs = {**pool, **engine_kwargs}
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, class_=Session)
        # Reads on SQLite use their own engine with deferred transactions (see make_engine).
        self.read_engine = (
            make_engine(url, read_only=True, **engine_kwargs) if self.is_sqlite else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, class_=Session)
        # Set when a transaction that wrote outbox events commits, so the worker wakes at once.
        self.outbox_signal = threading.Event()
        event.listen(self.sessions, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("outbox_emitted", False):
            self.outbox_signal.set()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

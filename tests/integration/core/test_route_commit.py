"""A route's unit of work commits in one place (``core.http.route_session``): a write route that
never calls commit still keeps its writes, one that raises keeps none of them, and a failed commit is
a 500, never a 2xx for something not kept. Actions wait for the outcome of the commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock, uow
from laotie.core.db import Database
from laotie.core.errors import NOT_FOUND
from laotie.core.http import DbSession, install_error_handlers
from laotie.core.idempotency import IdempotencyRecord

SCOPE = "test.route_commit"


def _record(key: str) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=SCOPE, key=key, request_hash="h", status_code=201, response={}, created_at=clock.now()
    )


def _kept(db: Database) -> list[str]:
    with uow.unit_of_work(db) as s:
        return list(s.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.scope == SCOPE)))


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def api(db: Database, seen: list[str]) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.db = db
    install_error_handlers(app)

    @app.post("/forgets")
    def forgets(session: DbSession) -> dict[str, str]:
        session.add(_record("forgot-to-commit"))
        session.flush()
        uow.after_commit(session, lambda: seen.append(f"after commit, kept {_kept(db)}"))
        uow.if_not_committed(session, lambda: seen.append("undone"))
        return {"ok": "yes"}

    @app.post("/raises")
    def raises(session: DbSession) -> dict[str, str]:
        session.add(_record("half-written"))
        session.flush()
        uow.after_commit(session, lambda: seen.append("after commit"))
        uow.if_not_committed(session, lambda: seen.append("undone"))
        raise NOT_FOUND()

    @app.post("/commit-fails")
    def commit_fails(session: DbSession) -> dict[str, str]:
        # Two rows with one primary key: only the commit's flush finds out.
        session.add(_record("twice"))
        session.flush()
        session.expunge_all()
        session.add(_record("twice"))
        uow.after_commit(session, lambda: seen.append("after commit"))
        uow.if_not_committed(session, lambda: seen.append("undone"))
        return {"ok": "yes"}

    @app.get("/reads")
    def reads(session: DbSession) -> dict[str, int]:
        return {"count": session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0}

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_write_route_that_never_commits_still_keeps_its_writes(
    api: TestClient, db: Database, seen: list[str]
) -> None:
    answer = api.post("/forgets")
    assert answer.status_code == 200, answer.text
    assert _kept(db) == ["forgot-to-commit"]
    # The action ran once the row was durable (it read it from another session), the undo never.
    assert seen == ["after commit, kept ['forgot-to-commit']"]


def test_a_route_that_raises_keeps_nothing_it_flushed(api: TestClient, db: Database, seen: list[str]) -> None:
    answer = api.post("/raises")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"
    assert _kept(db) == []
    assert seen == ["undone"]


def test_a_failed_commit_is_a_500_not_a_success(api: TestClient, db: Database, seen: list[str]) -> None:
    answer = api.post("/commit-fails")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "INTERNAL"
    assert _kept(db) == []
    assert seen == ["undone"]


def test_a_read_route_gets_a_session_and_commits_nothing(api: TestClient, session: Session) -> None:
    assert api.get("/reads").json() == {"count": 0}

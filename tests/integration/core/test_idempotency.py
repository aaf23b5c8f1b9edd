from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.idempotency import IdempotencyRecord, claim, remember
from laotie.core.uow import unit_of_work
from tests.factories.races import race

SCOPE = "test.write:user:1"


def _write(session: Session, key: str, body: dict[str, int]) -> object:
    """A retryable write: claims the key, writes a row, remembers the answer (the caller commits)."""
    stored = claim(session, SCOPE, key, body)
    if stored is not None:
        return ("replayed", stored.body)
    session.execute(text("INSERT INTO test_effect (event_id, note) VALUES (:k, 'x')"), {"k": key})
    remember(session, SCOPE, key, 201, {"made": body["n"]})
    return ("made", {"made": body["n"]})


def _write_once(db: Database, key: str, body: dict[str, int]) -> object:
    with unit_of_work(db) as session:
        answer = _write(session, key, body)
        session.commit()
        return answer


@pytest.fixture
def effects(db: Database) -> Database:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_effect (event_id VARCHAR(32) PRIMARY KEY, note VARCHAR(50))"
            )
        )
        conn.execute(text("DELETE FROM test_effect"))
    return db


def test_same_key_same_body_replays_and_writes_once(effects: Database) -> None:
    assert _write_once(effects, "k1", {"n": 1}) == ("made", {"made": 1})
    assert _write_once(effects, "k1", {"n": 1}) == ("replayed", {"made": 1})
    with effects.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_effect")).scalar_one() == 1


def test_same_key_different_body_is_a_conflict(effects: Database) -> None:
    _write_once(effects, "k1", {"n": 1})
    with pytest.raises(AppError) as caught:
        _write_once(effects, "k1", {"n": 2})
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED" and caught.value.status == 409


def test_a_rolled_back_write_frees_its_key(effects: Database) -> None:
    with unit_of_work(effects) as session:
        assert claim(session, SCOPE, "k1", {"n": 1}) is None
        # the request fails before commit
    assert _write_once(effects, "k1", {"n": 1}) == ("made", {"made": 1})


def test_concurrent_requests_with_one_key_write_once(effects: Database) -> None:
    results: list[object] = []
    outcomes = race(effects, [lambda s: results.append(_write(s, "same", {"n": 7}))] * 8)
    # the losers may be told to retry while the winner is in flight
    assert set(outcomes) <= {"ok", "IDEMPOTENCY_IN_PROGRESS"}
    assert results.count(("made", {"made": 7})) == 1
    assert all(r == ("replayed", {"made": 7}) for r in results if r != ("made", {"made": 7}))
    with unit_of_work(effects) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    with effects.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_effect")).scalar_one() == 1

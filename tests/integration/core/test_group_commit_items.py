"""``GroupCommit.run_item``: items handed to a set-based batch function share the batch's transaction,
the function is called once per batch with all of them, and each caller gets its own entry — with the
same fallbacks as plain requests (a database error: every item again alone; any other error in the
function: each item again alone in a savepoint)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.batching import GroupCommit
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.payments.models import PaymentWebhookReceipt, WebhookOutcome

calls: list[list[str]] = []


def _receipt(event_id: str) -> dict[str, Any]:
    now = clock.now()
    return {
        "provider": "test",
        "provider_event_id": event_id,
        "signature_ok": True,
        "outcome": WebhookOutcome.APPLIED,
        "received_at": now,
        "last_received_at": now,
    }


def write_all(session: Session, items: list[str]) -> list[Any]:
    """One statement for every item; an item called "bad" is answered with an error (nothing written
    for it), one called "boom" makes the whole function fail, "dup" breaks a unique key."""
    calls.append(list(items))
    if "boom" in items:
        raise RuntimeError("boom")
    kept = [i for i in items if i != "bad"]
    session.execute(insert(PaymentWebhookReceipt), [_receipt(i.removesuffix("-again")) for i in kept])
    return [ValueError(i) if i == "bad" else f"wrote {i}" for i in items]


def _stored(db: Database) -> list[str | None]:
    with unit_of_work(db, read_only=True) as s:
        return sorted(s.scalars(select(PaymentWebhookReceipt.provider_event_id)))


def _together(db: Database, items: list[str], plain: bool = False) -> tuple[list[Any], list[int]]:
    batcher = GroupCommit(db, "test")

    async def run_all() -> list[Any]:
        jobs: list[Any] = [batcher.run_item(write_all, i) for i in items]
        if plain:
            jobs.insert(1, batcher.run(lambda s: "plain"))
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        return asyncio.run(run_all()), batcher.batch_sizes
    finally:
        batcher.close()


def test_items_are_written_by_one_call_each_caller_gets_its_entry(db: Database) -> None:
    calls.clear()
    results, batches = _together(db, ["a", "b", "bad", "c"], plain=True)
    assert batches == [5]
    assert calls == [["a", "b", "bad", "c"]]
    assert results[:2] == ["wrote a", "plain"]
    assert results[2:4] == ["wrote b", results[3]] and isinstance(results[3], ValueError)
    assert results[4] == "wrote c"
    assert _stored(db) == ["a", "b", "c"]


def test_a_failing_batch_function_is_run_again_item_by_item(db: Database) -> None:
    calls.clear()
    results, _ = _together(db, ["a", "boom", "b"])
    assert calls == [["a", "boom", "b"], ["a"], ["boom"], ["b"]]
    assert results[0] == "wrote a" and results[2] == "wrote b"
    assert isinstance(results[1], RuntimeError)
    assert _stored(db) == ["a", "b"]


def test_a_database_error_retries_each_item_in_its_own_transaction(db: Database) -> None:
    calls.clear()
    # "a-again" stores the same event id as "a": the batch's statement breaks the unique key.
    results, _ = _together(db, ["a", "a-again", "b"])
    assert calls[0] == ["a", "a-again", "b"]
    assert calls[1:] == [["a"], ["a-again"], ["b"]]
    assert results[0] == "wrote a" and results[2] == "wrote b"
    assert "UNIQUE" in str(results[1]).upper() or "unique" in str(results[1])
    assert _stored(db) == ["a", "b"]

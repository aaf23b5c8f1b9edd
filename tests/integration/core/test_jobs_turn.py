"""Several processes, one runner of the periodic jobs at a time (``core.jobs.JobsTurn``): on
PostgreSQL the turn is an advisory lock that another process takes over once its holder lets go
(or dies); jobs marked ``everywhere`` (flushing a process's own memory) run in every process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.jobs import JobRegistry, JobsTurn, run_due


def test_one_process_at_a_time_holds_the_turn_and_another_takes_it_over(db: Database) -> None:
    first, second = JobsTurn(db), JobsTurn(db)  # as two API processes would
    try:
        assert first.mine()
        if db.is_sqlite:  # one process writes a SQLite file: every runner's turn
            assert second.mine()
            return
        assert not second.mine()
        assert first.mine()  # asked again at the next tick: still its turn
        first.release()  # the holder stops (or its connection dies)
        assert second.mine()
        assert not first.mine()
    finally:
        first.close()
        second.close()


def test_off_turn_a_process_runs_only_the_jobs_that_flush_its_own_memory(db: Database) -> None:
    ran: list[str] = []
    registry = JobRegistry()

    def sweep(session: Session) -> None:
        ran.append("sweep")

    def flush(session: Session) -> None:
        ran.append("flush")

    registry.add("test.sweep", 60, sweep)
    registry.add("test.flush", 60, flush, everywhere=True)

    assert run_due(db, registry, my_turn=False) == 1
    assert ran == ["flush"]
    for entry in registry.entries.values():
        entry.next_run = 0.0
    assert run_due(db, registry, my_turn=True) == 2
    assert sorted(ran) == ["flush", "flush", "sweep"]

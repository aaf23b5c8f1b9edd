"""One race harness for the concurrency tests: attempts released together by a barrier, each in its
own unit of work (its own connection), and the outcome of each as a short code.

    outcomes = race(db, [lambda s: withdraw(s, 100) for _ in range(20)])
    assert outcomes.count("ok") == 15 and set(outcomes) == {"ok", "INSUFFICIENT_BALANCE"}

An attempt that returns commits ("ok", or the label ``ok=`` gives it); one that raises an ``AppError``
rolls back and gives the error's code; anything else gives ``"error:<ExceptionName>"`` so that a
crash shows up in the assertion instead of hiding in a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work

Attempt = Callable[[Session], object]
Label = str | Callable[[Any], str]
DEFAULT_THREADS = 32


def _outcome(db: Database, attempt: Attempt, ok: Label, retry: Collection[str], tries: int) -> str:
    outcome = "gave up"
    for _ in range(tries):
        outcome = _once(db, attempt, ok)
        if outcome not in retry:
            return outcome
    return outcome


def _once(db: Database, attempt: Attempt, ok: Label) -> str:
    with unit_of_work(db) as session:
        try:
            result = attempt(session)
            session.commit()
        except AppError as exc:
            session.rollback()
            return exc.code
        except Exception as exc:  # reported as an outcome, for the test to assert
            session.rollback()
            return f"error:{type(exc).__name__}"
    return ok if isinstance(ok, str) else ok(result)


def race(
    db: Database,
    attempts: Sequence[Attempt],
    *,
    threads: int | None = None,
    timeout: float = 180,
    ok: Label = "ok",
    retry: Collection[str] = (),
    tries: int = 20,
) -> list[str]:
    """Run ``attempts`` at the same moment on ``threads`` threads (one each, up to 32, by default);
    returns each attempt's outcome, in the attempts' order: ``ok`` (or ``ok(result)``) for one that
    committed, the error's code for one refused. An outcome in ``retry`` (say ``CONFLICT``) is
    tried again in a new transaction, as a client would, up to ``tries`` times."""
    count = min(threads or DEFAULT_THREADS, len(attempts))
    barrier = threading.Barrier(count)
    outcomes: list[str | None] = [None] * len(attempts)

    def run(indexes: range) -> None:
        barrier.wait()
        for i in indexes:
            outcomes[i] = _outcome(db, attempts[i], ok, retry, tries)

    workers = [threading.Thread(target=run, args=(range(t, len(attempts), count),)) for t in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    missing = [i for i, o in enumerate(outcomes) if o is None]
    assert not missing, f"attempts {missing} did not finish within {timeout} s"
    return [o for o in outcomes if o is not None]

"""The bulk refund of a counterfeit run: find the orders, then refund them batch by batch.

Crash safety, the whole argument:
- Collecting inserts one item row per order, a page at a time, in order id order; the run keeps the
  last order id it collected, in the same transaction. A restart continues after it; the unique
  (run, order) makes a page inserted twice impossible.
- Each batch is one transaction: the items' statuses, the run's counters and every order's refund
  (case, order guard, ledger, PSP refund, compensation) commit together or not at all. Killed at
  any point, the batch leaves nothing, and the restart does it again from the items still pending.
- The refund's own key (``counterfeit:<run>:<order>``, unique per buyer on the after-sales case)
  makes even a replayed refund move no money twice.
- On PostgreSQL a batch takes its items ``FOR UPDATE SKIP LOCKED``, so the CLI and the background
  job (or two CLIs) share a run without doing an order twice; SQLite serialises writers anyway.

One order that cannot be refunded now (a pay-after-use charge in flight, the PSP down) does not
stop the others: its savepoint is rolled back, the item is marked failed with the code, and
``retry_failed`` puts it back in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import emit
from laotie.core.uow import unit_of_work
from laotie.events.governance import CounterfeitRefundFinished
from laotie.governance.counterfeit import audit, completed_since, load_run
from laotie.governance.models_integrity import (
    CounterfeitItem,
    CounterfeitItemStatus,
    CounterfeitRun,
    CounterfeitRunStatus,
)
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind
from laotie.orders import service as orders

log = logging.getLogger(__name__)
COLLECT_PAGE = 2000
BATCH = 200


def collect_page(session: Session, run_id: int, page: int = COLLECT_PAGE) -> bool:
    """Add the next page of the run's orders; True once every order is in."""
    run = load_run(session, run_id)
    if run.status != CounterfeitRunStatus.COLLECTING:
        return True
    found = orders.orders_with_products(
        session,
        run.shop_id,
        list(run.product_ids),
        completed_since=completed_since(run),
        after_order_id=run.collected_through,
        limit=page,
    )
    now = clock.now()
    if found:
        session.execute(
            insert(CounterfeitItem),
            [
                {
                    "run_id": run.id,
                    "order_id": o,
                    "buyer_id": b,
                    "status": CounterfeitItemStatus.PENDING,
                    "error": "",
                }
                for o, b in found
            ],
        )
    moved = session.execute(
        update(CounterfeitRun)
        .where(CounterfeitRun.id == run.id, CounterfeitRun.collected_through == run.collected_through)
        .values(
            collected_through=found[-1][0] if found else run.collected_through,
            total_orders=CounterfeitRun.total_orders + len(found),
            updated_at=now,
            **({"status": CounterfeitRunStatus.RUNNING, "collected_at": now} if len(found) < page else {}),
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        # Another process collected this page first: its rows win, ours roll back with the caller.
        raise RuntimeError("counterfeit run collected concurrently; retry")
    session.flush()
    return len(found) < page


@dataclass
class _Tally:
    refunded: int = 0
    skipped: int = 0
    failed: int = 0
    refunded_fen: int = 0
    compensation_fen: int = 0
    funded_fen: int = 0
    owed_fen: int = 0


def _pending(session: Session, run_id: int, limit: int) -> list[CounterfeitItem]:
    query = (
        select(CounterfeitItem)
        .where(CounterfeitItem.run_id == run_id, CounterfeitItem.status == CounterfeitItemStatus.PENDING)
        .order_by(CounterfeitItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _key_prefix(run: CounterfeitRun) -> str:
    return f"counterfeit:{run.id}:"


def _note(run: CounterfeitRun) -> str:
    return f"平台售假处置退款（运行 #{run.id}）"


def _apply(item: CounterfeitItem, out: aftersales.PlatformRefund, tally: _Tally) -> None:
    item.attempts += 1
    item.done_at = clock.now()
    item.aftersales_case_id = out.case_id
    item.amount_fen, item.compensation_fen = out.amount_fen, out.compensation_fen
    if out.case_id is None:
        item.status = CounterfeitItemStatus.SKIPPED
        tally.skipped += 1
    else:
        item.status = CounterfeitItemStatus.REFUNDED
        tally.refunded += 1
        tally.refunded_fen += out.amount_fen
        tally.compensation_fen += out.compensation_fen


def _refund_one(session: Session, run: CounterfeitRun, item: CounterfeitItem, tally: _Tally) -> None:
    try:
        with session.begin_nested():
            out = aftersales.platform_refund(
                session,
                item.order_id,
                list(run.product_ids),
                idempotency_key=f"{_key_prefix(run)}{item.order_id}",
                note=_note(run),
                actor_id=run.started_by,
                compensation_multiple=run.compensation_multiple,
            )
    except AppError as exc:
        item.status, item.error = CounterfeitItemStatus.FAILED, f"{exc.code}: {exc.message('zh')}"[:200]
        item.attempts += 1
        tally.failed += 1
        log.warning("counterfeit run %s: order %s not refunded: %s", run.id, item.order_id, exc.code)
        return
    _apply(item, out, tally)


def _refund_together(
    session: Session, run: CounterfeitRun, items: list[CounterfeitItem], tally: _Tally
) -> bool:
    """The whole batch in a few statements (``aftersales.platform_refund_many``); False, with
    nothing written, when one of its orders cannot be refunded that way (then one by one)."""
    try:
        with session.begin_nested():
            outs = aftersales.platform_refund_many(
                session,
                [i.order_id for i in items],
                list(run.product_ids),
                key_prefix=_key_prefix(run),
                note=_note(run),
                actor_id=run.started_by,
                compensation_multiple=run.compensation_multiple,
            )
    except AppError as exc:
        log.info("counterfeit run %s: batch refunded one by one (%s)", run.id, exc.code)
        return False
    for item in items:
        _apply(item, outs[item.order_id], tally)
    return True


def refund_batch(session: Session, run_id: int, limit: int = BATCH) -> int:
    """Refund up to ``limit`` pending orders of the run; returns how many were handled (0: none
    left). The caller commits: items, counters and money go in together."""
    run = load_run(session, run_id)
    if run.status != CounterfeitRunStatus.RUNNING:
        return 0
    items = _pending(session, run.id, limit)
    tally = _Tally()
    if items and not _refund_together(session, run, items, tally):
        for item in items:
            _refund_one(session, run, item, tally)
    if tally.compensation_fen:
        # What the shop's available balance held before this batch's compensation: that much was
        # paid from its money, the rest is now owed (its balance below zero, ADR 0015).
        after = ledger.balance(session, AccountKind.SHOP_AVAILABLE, run.shop_id)
        tally.funded_fen = min(max(after + tally.compensation_fen, 0), tally.compensation_fen)
        tally.owed_fen = tally.compensation_fen - tally.funded_fen
    session.flush()
    session.execute(
        update(CounterfeitRun)
        .where(CounterfeitRun.id == run.id)
        .values(
            refunded_orders=CounterfeitRun.refunded_orders + tally.refunded,
            skipped_orders=CounterfeitRun.skipped_orders + tally.skipped,
            failed_orders=CounterfeitRun.failed_orders + tally.failed,
            refunded_fen=CounterfeitRun.refunded_fen + tally.refunded_fen,
            compensation_fen=CounterfeitRun.compensation_fen + tally.compensation_fen,
            compensation_funded_fen=CounterfeitRun.compensation_funded_fen + tally.funded_fen,
            compensation_owed_fen=CounterfeitRun.compensation_owed_fen + tally.owed_fen,
            updated_at=clock.now(),
        )
    )
    if not items:
        _finish(session, run)
    session.flush()
    return len(items)


def _finish(session: Session, run: CounterfeitRun) -> None:
    left = session.scalar(
        select(func.count())
        .select_from(CounterfeitItem)
        .where(CounterfeitItem.run_id == run.id, CounterfeitItem.status == CounterfeitItemStatus.PENDING)
    )
    if left:
        return  # another process holds them (PostgreSQL, skip locked): it finishes the run
    done = session.execute(
        update(CounterfeitRun)
        .where(CounterfeitRun.id == run.id, CounterfeitRun.status == CounterfeitRunStatus.RUNNING)
        .values(status=CounterfeitRunStatus.DONE, finished_at=clock.now())
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        session.refresh(run)
        finished = CounterfeitRefundFinished(
            run_id=run.id,
            case_id=run.case_id,
            shop_id=run.shop_id,
            orders=run.refunded_orders,
            skipped=run.skipped_orders,
            failed=run.failed_orders,
            refunded_fen=run.refunded_fen,
            compensation_fen=run.compensation_fen,
            compensation_owed_fen=run.compensation_owed_fen,
            finished_at=clock.now().isoformat(),
        )
        audit(session, "counterfeit_run", run.id, None, "finished", "售假退款完成", finished.payload())
        emit(session, finished)


def retry_failed(session: Session, run_id: int, actor_id: int | None) -> int:
    """Put the run's failed orders back in the queue (and the run back to running)."""
    run = load_run(session, run_id)
    moved = session.execute(
        update(CounterfeitItem)
        .where(CounterfeitItem.run_id == run.id, CounterfeitItem.status == CounterfeitItemStatus.FAILED)
        .values(status=CounterfeitItemStatus.PENDING)
    ).rowcount  # type: ignore[attr-defined]
    if moved:
        session.execute(
            update(CounterfeitRun)
            .where(CounterfeitRun.id == run.id)
            .values(
                failed_orders=CounterfeitRun.failed_orders - moved,
                status=CounterfeitRunStatus.RUNNING
                if run.status == CounterfeitRunStatus.DONE
                else run.status,
                finished_at=None,
                updated_at=clock.now(),
            )
        )
        audit(session, "counterfeit_run", run.id, actor_id, "retry_failed", f"重试 {moved} 笔失败退款")
    session.flush()
    return int(moved)


Progress = Callable[[CounterfeitRun], None]


def drive(db: Database, run_id: int, batch: int = BATCH, progress: Progress | None = None) -> None:
    """Collect, then refund batch after batch until the run is done; each step its own transaction.
    Safe to stop at any moment and to call again (the CLI, the job, a restart after a crash)."""
    while True:
        with unit_of_work(db) as session:
            done = collect_page(session, run_id)
            session.commit()
        if done:
            break
    while True:
        with unit_of_work(db) as session:
            handled = refund_batch(session, run_id, batch)
            session.commit()
            run = load_run(session, run_id)
            if progress is not None:
                progress(run)
            if handled == 0 or run.status == CounterfeitRunStatus.DONE:
                return


def active_run_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(CounterfeitRun.id)
            .where(CounterfeitRun.status.in_((CounterfeitRunStatus.COLLECTING, CounterfeitRunStatus.RUNNING)))
            .order_by(CounterfeitRun.id)
        )
    )

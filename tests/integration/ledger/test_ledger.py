from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.errors import UnbalancedPosting
from laotie.ledger.models import LedgerEntry
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting


def _pay(session: Session, key: str = "pay-1", amount: int = 9900) -> ledger.TransactionOut:
    return ledger.post(
        session,
        kind="payment",
        reference_type="order",
        reference_id=1,
        postings=[Posting(K.PSP_CASH, amount), Posting(K.PLATFORM_CLEARING, -amount)],
        idempotency_key=key,
    )


def test_balanced_posting_updates_balances_in_their_normal_direction(session: Session) -> None:
    _pay(session)
    ledger.post(
        session,
        kind="settle",
        reference_type="order",
        reference_id=1,
        postings=[
            Posting(K.PLATFORM_CLEARING, 9900),
            Posting(K.SHOP_PENDING, -9405, owner_id=7),
            Posting(K.PLATFORM_FEE_REVENUE, -495),
        ],
        idempotency_key="settle-1",
    )
    session.commit()
    assert ledger.balance(session, K.PSP_CASH) == 9900
    assert ledger.balance(session, K.SHOP_PENDING, 7) == 9405
    assert ledger.balance(session, K.PLATFORM_FEE_REVENUE) == 495
    assert ledger.balance(session, K.PLATFORM_CLEARING) == 0
    assert ledger.check(session).ok


def test_unbalanced_or_fractional_postings_are_refused(session: Session) -> None:
    with pytest.raises(UnbalancedPosting):
        ledger.post(
            session,
            kind="x",
            reference_type="order",
            reference_id=1,
            postings=[Posting(K.PSP_CASH, 100), Posting(K.PLATFORM_CLEARING, -99)],
            idempotency_key="k",
        )
    with pytest.raises(UnbalancedPosting):
        ledger.post(
            session,
            kind="x",
            reference_type="order",
            reference_id=1,
            postings=[Posting(K.PSP_CASH, 1.5), Posting(K.PLATFORM_CLEARING, -1.5)],  # type: ignore[arg-type]
            idempotency_key="k2",
        )
    with pytest.raises(UnbalancedPosting):  # a shop account without its shop
        ledger.post(
            session,
            kind="x",
            reference_type="order",
            reference_id=1,
            postings=[Posting(K.PSP_CASH, 100), Posting(K.SHOP_PENDING, -100)],
            idempotency_key="k3",
        )


def test_same_key_books_once_and_a_different_body_conflicts(session: Session) -> None:
    first = _pay(session)
    again = _pay(session)
    assert again.id == first.id and again.replayed
    with pytest.raises(AppError) as caught:
        _pay(session, amount=100)
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED" and caught.value.status == 409
    session.commit()
    assert ledger.balance(session, K.PSP_CASH) == 9900


def test_entries_are_immutable(session: Session) -> None:
    _pay(session)
    session.commit()
    entry = session.query(LedgerEntry).first()
    assert entry is not None
    entry.amount_fen = 1
    with pytest.raises(RuntimeError, match="immutable"):
        session.flush()


def test_check_finds_tampering_and_the_cli_exits_1(db: Database, session: Session) -> None:
    _pay(session)
    session.commit()
    cli = [sys.executable, "-m", "laotie.cli", "ledger", "check", "--database-url", db.url]
    ok = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with db.engine.begin() as conn:  # someone edits the books behind the ledger's back
        conn.execute(text("UPDATE ledger_entry SET amount_fen = amount_fen + 1 WHERE amount_fen > 0"))
    result = ledger.check(session)
    session.rollback()  # release SQLite's write lock before the CLI and the restore below
    assert not result.ok
    assert any("sum to 1 fen" in p for p in result.problems)
    assert any("off by 1 fen" in p for p in result.problems)
    assert any("caches" in p for p in result.problems)
    bad = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "off by 1 fen" in bad.stdout
    with db.engine.begin() as conn:  # restore, so the suite's ledger check after each test passes
        conn.execute(text("UPDATE ledger_entry SET amount_fen = amount_fen - 1 WHERE amount_fen > 0"))

"""Booking many transactions at once (bulk refunds): the same rules as ``post`` — balanced legs,
one booking per idempotency key, accounts touched in code order — with a few statements for a
whole batch instead of a handful per transaction.

A key that is already booked goes through ``post`` on its own (replayed when the postings match,
KEY_REUSED otherwise), so a retried batch books nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.ledger.errors import UnbalancedPosting
from laotie.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from laotie.ledger.schemas import PER_OWNER, Posting, TransactionKind

CHUNK = 500


@dataclass(frozen=True)
class TransactionIn:
    kind: TransactionKind
    reference_type: str
    reference_id: str | int
    postings: Sequence[Posting]
    idempotency_key: str
    memo: str = ""


def _account_ids(session: Session, legs: list[Posting]) -> dict[str, int]:
    by_code = {p.code: p for p in legs}
    for p in by_code.values():
        if (p.kind in PER_OWNER) != (p.owner_id is not None):
            raise UnbalancedPosting(f"{p.kind} {'needs' if p.kind in PER_OWNER else 'takes no'} owner")
    codes = sorted(by_code)
    ids: dict[str, int] = {}
    for i in range(0, len(codes), CHUNK):
        chunk = codes[i : i + CHUNK]
        ids.update(
            session.execute(
                select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(chunk))
            ).all()
        )
    missing = [c for c in codes if c not in ids]
    if missing:
        now = clock.now()
        session.execute(
            insert(LedgerAccount),
            [
                {
                    "code": c,
                    "kind": by_code[c].kind.value,
                    "owner_id": by_code[c].owner_id,
                    "balance_fen": 0,
                    "created_at": now,
                }
                for c in missing
            ],
        )
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i : i + CHUNK]
            ids.update(
                session.execute(
                    select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(chunk))
                ).all()
            )
    return ids


def post_many(session: Session, transactions: Sequence[TransactionIn]) -> list[int]:
    """Book every transaction; returns their ids in order."""
    from laotie.ledger.service import _merge, post  # the one-at-a-time path, for replays

    merged = []
    for tx in transactions:
        legs = _merge(tx.postings)
        if not legs:
            raise UnbalancedPosting("a transaction needs at least one non-zero leg")
        if sum(p.amount_fen for p in legs) != 0:
            raise UnbalancedPosting(f"postings sum to {sum(p.amount_fen for p in legs)} fen, not 0: {legs}")
        merged.append(legs)
    keys = [tx.idempotency_key for tx in transactions]
    if len(set(keys)) != len(keys):
        raise UnbalancedPosting("one idempotency key twice in one batch")
    booked: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        booked.update(
            session.scalars(
                select(LedgerTransaction.idempotency_key).where(
                    LedgerTransaction.idempotency_key.in_(keys[i : i + CHUNK])
                )
            )
        )
    ids: list[int | None] = [None] * len(transactions)
    fresh = [i for i, tx in enumerate(transactions) if tx.idempotency_key not in booked]
    for i, tx in enumerate(transactions):
        if tx.idempotency_key in booked:
            ids[i] = post(
                session,
                kind=tx.kind,
                reference_type=tx.reference_type,
                reference_id=tx.reference_id,
                postings=tx.postings,
                idempotency_key=tx.idempotency_key,
                memo=tx.memo,
            ).id
    if fresh:
        now = clock.now()
        accounts = _account_ids(session, [p for i in fresh for p in merged[i]])
        new_ids = session.scalars(
            insert(LedgerTransaction).returning(LedgerTransaction.id, sort_by_parameter_order=True),
            [
                {
                    "kind": transactions[i].kind,
                    "reference_type": transactions[i].reference_type,
                    "reference_id": str(transactions[i].reference_id),
                    "idempotency_key": transactions[i].idempotency_key,
                    "memo": transactions[i].memo[:200],
                    "created_at": now,
                }
                for i in fresh
            ],
        ).all()
        entries = []
        deltas: dict[str, int] = {}
        for i, tx_id in zip(fresh, new_ids, strict=True):
            ids[i] = tx_id
            for leg in merged[i]:
                entries.append(
                    {"transaction_id": tx_id, "account_id": accounts[leg.code], "amount_fen": leg.amount_fen}
                )
                deltas[leg.code] = deltas.get(leg.code, 0) + leg.amount_fen
        session.execute(insert(LedgerEntry), entries)
        # In code order, as ``post`` does, so concurrent bookings lock accounts in the same order.
        for code in sorted(deltas):
            if deltas[code]:
                session.execute(
                    update(LedgerAccount)
                    .where(LedgerAccount.id == accounts[code])
                    .values(balance_fen=LedgerAccount.balance_fen + deltas[code])
                )
    session.flush()
    return [int(x) for x in ids if x is not None]

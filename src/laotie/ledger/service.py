"""The double-entry ledger: every money movement is one balanced, immutable transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.core import clock

# Many bookings in a few statements (bulk refunds), part of this module's public face on purpose.
from laotie.ledger.bulk import TransactionIn as TransactionIn
from laotie.ledger.bulk import post_many as post_many
from laotie.ledger.errors import KEY_REUSED, UnbalancedPosting
from laotie.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

# Pro-rata reversal maths (pure), part of this module's public face on purpose.
from laotie.ledger.reversal import allocate as allocate
from laotie.ledger.reversal import remaining_booked as remaining_booked
from laotie.ledger.reversal import reversal_postings as reversal_postings
from laotie.ledger.schemas import (
    DEBIT_NORMAL,
    PER_OWNER,
    AccountKind,
    EntryOut,
    LedgerCheck,
    Posting,
    TransactionKind,
    TransactionOut,
)

# Checks other domains add (e.g. "each order's postings match its lines"); each appends problems.
ExtraCheck = Callable[[Session, LedgerCheck], None]
_extra_checks: dict[str, ExtraCheck] = {}


def register_check(name: str, check_fn: ExtraCheck) -> None:
    _extra_checks[name] = check_fn


def _account(session: Session, posting: Posting) -> LedgerAccount:
    if (posting.kind in PER_OWNER) != (posting.owner_id is not None):
        raise UnbalancedPosting(
            f"{posting.kind} {'needs' if posting.kind in PER_OWNER else 'takes no'} owner"
        )
    account = session.scalar(select(LedgerAccount).where(LedgerAccount.code == posting.code))
    if account is None:
        account = LedgerAccount(
            code=posting.code,
            kind=posting.kind.value,
            owner_id=posting.owner_id,
            balance_fen=0,
            created_at=clock.now(),
        )
        session.add(account)
        session.flush()
    return account


def _merge(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """Same account twice in one transaction becomes one leg; zero legs vanish; order is by code."""
    sums: dict[tuple[AccountKind, int | None], int] = {}
    for p in postings:
        if not isinstance(p.amount_fen, int) or isinstance(p.amount_fen, bool):
            raise UnbalancedPosting(f"amount must be integer fen, got {p.amount_fen!r}")
        key = (p.kind, p.owner_id)
        sums[key] = sums.get(key, 0) + p.amount_fen
    merged = [Posting(k, amount, owner) for (k, owner), amount in sums.items() if amount != 0]
    return tuple(sorted(merged, key=lambda p: p.code))


def _existing(session: Session, idempotency_key: str) -> TransactionOut | None:
    tx = session.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key))
    return _out(session, tx, replayed=True) if tx is not None else None


def _out(session: Session, tx: LedgerTransaction, replayed: bool = False) -> TransactionOut:
    rows = session.execute(
        select(LedgerAccount.kind, LedgerAccount.owner_id, LedgerEntry.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == tx.id)
    ).all()
    postings = tuple(sorted((Posting(AccountKind(k), a, o) for k, o, a in rows), key=lambda p: p.code))
    return TransactionOut(
        tx.id, tx.kind, tx.reference_type, tx.reference_id, tx.created_at, postings, replayed
    )


def post(
    session: Session,
    *,
    kind: TransactionKind,
    reference_type: str,
    reference_id: str | int,
    postings: Iterable[Posting],
    idempotency_key: str,
    memo: str = "",
) -> TransactionOut:
    """Book one balanced transaction. The same key with the same postings returns the first booking;
    the same key with different postings is refused (409), so a retried request never books twice."""
    legs = _merge(postings)
    if not legs:
        raise UnbalancedPosting("a transaction needs at least one non-zero leg")
    if sum(p.amount_fen for p in legs) != 0:
        raise UnbalancedPosting(f"postings sum to {sum(p.amount_fen for p in legs)} fen, not 0: {legs}")
    previous = _existing(session, idempotency_key)
    if previous is not None:
        if previous.postings != legs or previous.kind != kind:
            raise KEY_REUSED(idempotency_key=idempotency_key)
        return previous
    tx = LedgerTransaction(
        kind=kind,
        reference_type=reference_type,
        reference_id=str(reference_id),
        idempotency_key=idempotency_key,
        memo=memo[:200],
        created_at=clock.now(),
    )
    session.add(tx)
    session.flush()
    # Accounts are touched in code order so concurrent transactions lock rows in the same order.
    for leg in legs:
        account = _account(session, leg)
        session.add(LedgerEntry(transaction_id=tx.id, account_id=account.id, amount_fen=leg.amount_fen))
        session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == account.id)
            .values(balance_fen=LedgerAccount.balance_fen + leg.amount_fen)
        )
    session.flush()
    return TransactionOut(tx.id, kind, reference_type, str(reference_id), tx.created_at, legs)


def balance(session: Session, kind: AccountKind, owner_id: int | None = None) -> int:
    """The account's balance in its normal direction (what a shop is owed shows positive)."""
    code = Posting(kind, 0, owner_id).code
    raw = session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.code == code)) or 0
    return raw if kind in DEBIT_NORMAL else -raw


def transactions_for(session: Session, reference_type: str, reference_id: str | int) -> list[TransactionOut]:
    rows = session.scalars(
        select(LedgerTransaction)
        .where(
            LedgerTransaction.reference_type == reference_type,
            LedgerTransaction.reference_id == str(reference_id),
        )
        .order_by(LedgerTransaction.id)
    ).all()
    return [_out(session, tx) for tx in rows]


def net_for(
    session: Session, reference_type: str, reference_id: str | int
) -> dict[tuple[AccountKind, int | None], int]:
    """Net amount per account over everything booked for one reference (e.g. an order)."""
    net: dict[tuple[AccountKind, int | None], int] = {}
    for tx in transactions_for(session, reference_type, reference_id):
        for p in tx.postings:
            net[(p.kind, p.owner_id)] = net.get((p.kind, p.owner_id), 0) + p.amount_fen
    return {k: v for k, v in net.items() if v}


def nets_by_reference(
    session: Session, reference_type: str
) -> dict[str, dict[tuple[AccountKind, int | None], int]]:
    """``net_for`` of every reference of one type at once, in one query (for domains' checks)."""
    rows = session.execute(
        select(
            LedgerTransaction.reference_id,
            LedgerAccount.kind,
            LedgerAccount.owner_id,
            func.sum(LedgerEntry.amount_fen),
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.reference_type == reference_type)
        .group_by(LedgerTransaction.reference_id, LedgerAccount.kind, LedgerAccount.owner_id)
    ).all()
    nets: dict[str, dict[tuple[AccountKind, int | None], int]] = {}
    for reference_id, kind, owner_id, amount in rows:
        net = nets.setdefault(reference_id, {})
        if amount:
            net[(AccountKind(kind), owner_id)] = int(amount)
    return nets


def statement(
    session: Session, accounts: Sequence[tuple[AccountKind, int | None]], limit: int, offset: int
) -> tuple[list[EntryOut], int]:
    """An account statement: the entries of ``accounts`` (kind, owner), newest first, and how many
    there are in all."""
    codes = [Posting(kind, 0, owner_id).code for kind, owner_id in accounts]
    where = LedgerAccount.code.in_(codes)
    total = (
        session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(where)
        )
        or 0
    )
    rows = session.execute(
        select(LedgerEntry, LedgerAccount.kind, LedgerAccount.owner_id, LedgerTransaction)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(where)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    lines = []
    for entry, kind, owner_id, tx in rows:
        account = AccountKind(kind)
        lines.append(
            EntryOut(
                id=entry.id,
                transaction_id=tx.id,
                account=account,
                owner_id=owner_id,
                amount_fen=entry.amount_fen if account in DEBIT_NORMAL else -entry.amount_fen,
                kind=tx.kind,
                reference_type=tx.reference_type,
                reference_id=tx.reference_id,
                memo=tx.memo,
                created_at=tx.created_at,
            )
        )
    return lines, total


def check(session: Session) -> LedgerCheck:
    """Prove the books: all entries sum to zero, every transaction balances, every cached balance
    equals its entries, and whatever the registered domain checks assert."""
    result = LedgerCheck()
    result.total_fen = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))) or 0
    result.transactions = session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0
    if result.total_fen != 0:
        result.problems.append(f"all accounts sum to {result.total_fen} fen, not 0")
    unbalanced = session.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_fen))
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_fen) != 0)
    ).all()
    result.problems += [f"transaction {tx} is off by {amount} fen" for tx, amount in unbalanced]
    sums = dict(
        session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_fen)).group_by(LedgerEntry.account_id)
        ).all()
    )
    for account in session.scalars(select(LedgerAccount)):
        if account.balance_fen != sums.get(account.id, 0):
            result.problems.append(
                f"account {account.code} caches {account.balance_fen} fen but its entries sum to {sums.get(account.id, 0)}"
            )
    for name, extra in sorted(_extra_checks.items()):
        before = len(result.problems)
        extra(session, result)
        result.problems[before:] = [f"{name}: {p}" for p in result.problems[before:]]
    return result

"""A shop owner withdraws available money (提现): booked at once, paid out after commit.

The request books Dr SHOP_AVAILABLE / Cr PSP_CASH and writes ``WithdrawalRequested`` in one
transaction; the outbox then sends the payout (``payouts.send``), so no money leaves before the
withdrawal exists, and a crash between the two only delays the payout. Withdrawals of one shop take
turns on the shop's row lock (SQLite serialises all writers), so two can never both spend the same
balance.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.core.pagination import Page, PageParams
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting
from laotie.settings import get_settings
from laotie.settlement import errors
from laotie.settlement.lifecycle import load, record, withdrawal_detail, withdrawal_out
from laotie.settlement.models import Withdrawal, WithdrawalStatus
from laotie.settlement.payout_account import account_of
from laotie.settlement.schemas import MAX_WITHDRAWAL_FEN, WithdrawalDetail, WithdrawalOut
from laotie.shops import service as shops

W = WithdrawalStatus
MAX_KEY_LENGTH = 100


def check_viewer(session: Session, principal: Principal, shop_id: int) -> None:
    """The shop's members may look at its money; so may governance and admin staff."""
    if principal.is_staff:
        shops.get_shop(session, shop_id)
    else:
        shops.require_shop_member(session, shop_id, principal)


def _check_amount(amount_fen: object) -> int:
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= MAX_WITHDRAWAL_FEN
    ):
        raise errors.INVALID_AMOUNT(amount_fen=repr(amount_fen))
    minimum = get_settings().withdrawal_min_fen
    if amount_fen < minimum:
        raise errors.BELOW_MINIMUM_WITHDRAWAL(min_fen=minimum, amount_fen=amount_fen)
    return amount_fen


def _by_key(session: Session, shop_id: int, idempotency_key: str) -> Withdrawal | None:
    return session.scalar(
        select(Withdrawal).where(Withdrawal.shop_id == shop_id, Withdrawal.idempotency_key == idempotency_key)
    )


def request_withdrawal(
    session: Session, principal: Principal, shop_id: int, amount_fen: int, idempotency_key: str
) -> WithdrawalOut:
    """The owner asks for ``amount_fen`` of the available balance to be paid to the payout account.

    The same key and amount return the first withdrawal (``replayed``); the same key with another
    amount is 409 IDEMPOTENCY_KEY_REUSED. Refused: staff (NOT_SHOP_OWNER), frozen withdrawals
    (WITHDRAWALS_FROZEN), no payout account (PAYOUT_ACCOUNT_REQUIRED), below the minimum
    (BELOW_MINIMUM_WITHDRAWAL), more than is available (INSUFFICIENT_BALANCE)."""
    shops.require_shop_owner(session, shop_id, principal)
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise errors.IDEMPOTENCY_KEY_REQUIRED()
    _check_amount(amount_fen)
    # From here on this transaction holds the shop's row: the checks below stay true until commit.
    frozen = shops.withdrawals_frozen(session, shop_id, lock=True)
    previous = _by_key(session, shop_id, idempotency_key)
    if previous is not None:
        if previous.amount_fen != amount_fen:
            raise errors.IDEMPOTENCY_KEY_REUSED(key=idempotency_key)
        return withdrawal_out(previous, replayed=True)
    if frozen:
        raise errors.WITHDRAWALS_FROZEN(shop_id=shop_id)
    account = account_of(session, shop_id)
    if account is None:
        raise errors.PAYOUT_ACCOUNT_REQUIRED(shop_id=shop_id)
    available = ledger.balance(session, AccountKind.SHOP_AVAILABLE, shop_id)
    if amount_fen > available:
        raise errors.INSUFFICIENT_BALANCE(available_fen=available, amount_fen=amount_fen)
    now = clock.now()
    withdrawal = Withdrawal(
        shop_id=shop_id,
        requested_by=principal.user_id,
        amount_fen=amount_fen,
        status=W.REQUESTED,
        idempotency_key=idempotency_key,
        holder_name=account.holder_name,
        bank_name=account.bank_name,
        account_number=account.account_number,
        account_masked=account.account_masked,
        failure_reason="",
        created_at=now,
        updated_at=now,
    )
    session.add(withdrawal)
    session.flush()
    ledger.post(
        session,
        kind="withdrawal",
        reference_type="withdrawal",
        reference_id=withdrawal.id,
        postings=[
            Posting(AccountKind.SHOP_AVAILABLE, amount_fen, shop_id),
            Posting(AccountKind.PSP_CASH, -amount_fen),
        ],
        idempotency_key=f"settlement:withdrawal:{withdrawal.id}",
        memo=f"withdrawal {withdrawal.id} of shop {shop_id} to {account.account_masked}",
    )
    record(
        session,
        shop_id,
        "requested",
        principal.user_id,
        withdrawal_id=withdrawal.id,
        to_status=W.REQUESTED,
        data={"amount_fen": amount_fen, "account_masked": account.account_masked},
    )
    emit(
        session,
        "WithdrawalRequested",
        {"withdrawal_id": withdrawal.id, "shop_id": shop_id, "amount_fen": amount_fen},
    )
    session.flush()
    return withdrawal_out(withdrawal)


def list_withdrawals(
    session: Session,
    principal: Principal,
    shop_id: int,
    params: PageParams,
    status: WithdrawalStatus | None = None,
) -> Page[WithdrawalOut]:
    """The shop's withdrawals, newest first (members and staff)."""
    check_viewer(session, principal, shop_id)
    where = [Withdrawal.shop_id == shop_id]
    if status is not None:
        where.append(Withdrawal.status == status)
    total = session.scalar(select(func.count()).select_from(Withdrawal).where(*where)) or 0
    rows = session.scalars(
        select(Withdrawal)
        .where(*where)
        .order_by(Withdrawal.id.desc())
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return Page(
        items=[withdrawal_out(w) for w in rows], total=total, limit=params.limit, offset=params.offset
    )


def get_withdrawal(
    session: Session, principal: Principal, shop_id: int, withdrawal_id: int
) -> WithdrawalDetail:
    """One withdrawal with its trail; another shop's looks like it does not exist."""
    check_viewer(session, principal, shop_id)
    withdrawal = load(session, withdrawal_id)
    if withdrawal.shop_id != shop_id:
        raise errors.WITHDRAWAL_NOT_FOUND(withdrawal_id=withdrawal_id)
    return withdrawal_detail(session, withdrawal)


def in_flight_and_withdrawn(session: Session, shop_id: int) -> tuple[int, int]:
    """Fen on their way to the bank, and fen paid out so far."""
    rows = dict(
        session.execute(
            select(Withdrawal.status, func.coalesce(func.sum(Withdrawal.amount_fen), 0))
            .where(Withdrawal.shop_id == shop_id, Withdrawal.status != W.FAILED)
            .group_by(Withdrawal.status)
        ).all()
    )
    in_flight = int(rows.get(W.REQUESTED, 0)) + int(rows.get(W.PROCESSING, 0))
    return in_flight, int(rows.get(W.PAID, 0))

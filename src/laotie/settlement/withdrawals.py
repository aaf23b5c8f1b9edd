"""A shop owner, or a creator (达人), withdraws available money (提现): booked at once, paid out after
commit. One code path for both (``_withdraw``); ``owners.Owner`` says which balance the money leaves.

The request books Dr SHOP_AVAILABLE (or COMMISSION_AVAILABLE) / Cr PSP_CASH and writes ``WithdrawalRequested`` in one
transaction; the outbox then sends the payout (``payouts.send``), so no money leaves before the
withdrawal exists, and a crash between the two only delays the payout. Withdrawals of one shop take
turns on the shop's row lock, a creator's on its payout account's row (SQLite serialises all
writers), so two can never both spend the same balance.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.core.pagination import Page, PageParams
from laotie.events.settlement import WithdrawalRequested
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting, TransactionKind
from laotie.settings import get_settings
from laotie.settlement import errors
from laotie.settlement.lifecycle import load, record, withdrawal_detail, withdrawal_out
from laotie.settlement.models import PayoutAccount, SettlementEventKind, Withdrawal, WithdrawalStatus
from laotie.settlement.owners import Owner
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


def _by_key(session: Session, owner: Owner, idempotency_key: str) -> Withdrawal | None:
    return session.scalar(
        select(Withdrawal).where(owner.matches(Withdrawal), Withdrawal.idempotency_key == idempotency_key)
    )


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise errors.IDEMPOTENCY_KEY_REQUIRED()


def request_withdrawal(
    session: Session, principal: Principal, shop_id: int, amount_fen: int, idempotency_key: str
) -> WithdrawalOut:
    """The owner asks for ``amount_fen`` of the shop's available balance to be paid to the payout account.

    The same key and amount return the first withdrawal (``replayed``); the same key with another
    amount is 409 IDEMPOTENCY_KEY_REUSED. Refused: staff (NOT_SHOP_OWNER), frozen withdrawals
    (WITHDRAWALS_FROZEN), no payout account (PAYOUT_ACCOUNT_REQUIRED), below the minimum
    (BELOW_MINIMUM_WITHDRAWAL), more than is available (INSUFFICIENT_BALANCE)."""
    shops.require_shop_owner(session, shop_id, principal)
    _check_key(idempotency_key)
    _check_amount(amount_fen)
    # From here on this transaction holds the shop's row: the checks below stay true until commit.
    frozen = shops.withdrawals_frozen(session, shop_id, lock=True)
    owner = Owner.shop(shop_id)
    return _withdraw(
        session, principal, owner, amount_fen, idempotency_key, frozen, account_of(session, owner)
    )


def request_creator_withdrawal(
    session: Session, principal: Principal, amount_fen: int, idempotency_key: str
) -> WithdrawalOut:
    """A creator (达人) withdraws settled commission (COMMISSION_AVAILABLE) to its payout account:
    the same rules, codes and idempotency as a shop's withdrawal. The caller checks the creator role."""
    _check_key(idempotency_key)
    _check_amount(amount_fen)
    owner = Owner.creator(principal.user_id)
    # The creator's payout account row is its lock (a creator has no shop row): withdrawals of one
    # creator take turns on it, so two can never both spend the same balance. Without an account
    # there is nothing to lock and nothing to withdraw to: refused below.
    account = account_of(session, owner, for_update=True)
    return _withdraw(session, principal, owner, amount_fen, idempotency_key, False, account)


def _withdraw(
    session: Session,
    principal: Principal,
    owner: Owner,
    amount_fen: int,
    idempotency_key: str,
    frozen: bool,
    account: PayoutAccount | None,
) -> WithdrawalOut:
    """Book and record a withdrawal for an owner whose lock this transaction already holds."""
    previous = _by_key(session, owner, idempotency_key)
    if previous is not None:
        if previous.amount_fen != amount_fen:
            raise errors.IDEMPOTENCY_KEY_REUSED(key=idempotency_key)
        return withdrawal_out(previous, replayed=True)
    if frozen:
        raise errors.WITHDRAWALS_FROZEN(shop_id=owner.id)
    if account is None:
        raise errors.PAYOUT_ACCOUNT_REQUIRED(shop_id=owner.id)
    available = ledger.balance(session, owner.available, owner.id)
    if amount_fen > available:
        raise errors.INSUFFICIENT_BALANCE(available_fen=available, amount_fen=amount_fen)
    now = clock.now()
    withdrawal = Withdrawal(
        **owner.columns,
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
        kind=TransactionKind.WITHDRAWAL,
        reference_type="withdrawal",
        reference_id=withdrawal.id,
        postings=[
            Posting(owner.available, amount_fen, owner.id),
            Posting(AccountKind.PSP_CASH, -amount_fen),
        ],
        idempotency_key=f"settlement:withdrawal:{withdrawal.id}",
        memo=f"withdrawal {withdrawal.id} of {owner} to {account.account_masked}",
    )
    record(
        session,
        owner,
        SettlementEventKind.REQUESTED,
        principal.user_id,
        withdrawal_id=withdrawal.id,
        to_status=W.REQUESTED,
        data={"amount_fen": amount_fen, "account_masked": account.account_masked},
    )
    emit(
        session,
        WithdrawalRequested(
            withdrawal_id=withdrawal.id,
            shop_id=withdrawal.shop_id,
            creator_id=withdrawal.creator_id,
            amount_fen=amount_fen,
        ),
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
    return owner_withdrawals(session, Owner.shop(shop_id), params, status)


def owner_withdrawals(
    session: Session, owner: Owner, params: PageParams, status: WithdrawalStatus | None = None
) -> Page[WithdrawalOut]:
    where = [owner.matches(Withdrawal)]
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
    return owner_withdrawal(session, Owner.shop(shop_id), withdrawal_id)


def owner_withdrawal(session: Session, owner: Owner, withdrawal_id: int) -> WithdrawalDetail:
    """One of ``owner``'s withdrawals with its trail; anyone else's looks like it does not exist."""
    withdrawal = load(session, withdrawal_id)
    if Owner.of(withdrawal) != owner:
        raise errors.WITHDRAWAL_NOT_FOUND(withdrawal_id=withdrawal_id)
    return withdrawal_detail(session, withdrawal)


def in_flight_and_withdrawn(session: Session, owner: Owner) -> tuple[int, int]:
    """Fen on their way to the bank, and fen paid out so far."""
    rows = dict(
        session.execute(
            select(Withdrawal.status, func.coalesce(func.sum(Withdrawal.amount_fen), 0))
            .where(owner.matches(Withdrawal), Withdrawal.status != W.FAILED)
            .group_by(Withdrawal.status)
        ).all()
    )
    in_flight = int(rows.get(W.REQUESTED, 0)) + int(rows.get(W.PROCESSING, 0))
    return in_flight, int(rows.get(W.PAID, 0))

"""The bank account a shop's (or a creator's) withdrawals go to. Only the owner sets or sees it, and
only masked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.settlement.lifecycle import record
from laotie.settlement.models import PayoutAccount, SettlementEventKind
from laotie.settlement.owners import Owner
from laotie.settlement.schemas import PayoutAccountIn, PayoutAccountOut
from laotie.shops import service as shops

VISIBLE_DIGITS = 4


def mask_account_number(number: str) -> str:
    """``6222020200112233445`` -> ``**** **** **** 3445``: the same mark whatever the length, which
    would otherwise tell how long the number is."""
    return f"**** **** **** {number[-VISIBLE_DIGITS:]}"


def payout_account_out(row: PayoutAccount) -> PayoutAccountOut:
    return PayoutAccountOut(
        shop_id=row.shop_id,
        creator_id=row.creator_id,
        holder_name=row.holder_name,
        bank_name=row.bank_name,
        account_masked=row.account_masked,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def account_of(session: Session, owner: Owner, *, for_update: bool = False) -> PayoutAccount | None:
    query = select(PayoutAccount).where(owner.matches(PayoutAccount))
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def set_payout_account(
    session: Session, principal: Principal, shop_id: int, body: PayoutAccountIn
) -> PayoutAccountOut:
    """The owner sets (or replaces) the shop's payout account. Withdrawals already requested keep
    going to the account they were requested for."""
    shops.require_shop_owner(session, shop_id, principal)
    return _set(session, principal, Owner.shop(shop_id), body)


def set_creator_payout_account(
    session: Session, principal: Principal, body: PayoutAccountIn
) -> PayoutAccountOut:
    """A creator (达人) sets (or replaces) the account its commission withdrawals go to. The caller
    checks the creator role."""
    return _set(session, principal, Owner.creator(principal.user_id), body)


def _set(session: Session, principal: Principal, owner: Owner, body: PayoutAccountIn) -> PayoutAccountOut:
    now = clock.now()
    masked = mask_account_number(body.account_number)
    row = account_of(session, owner, for_update=True)
    previous = row.account_masked if row else None
    if row is None:
        row = PayoutAccount(**owner.columns, created_at=now)
        try:
            with session.begin_nested():  # the owner's double submit: the second one updates the first
                _fill(row, body, masked, principal.user_id, now)
                session.add(row)
                session.flush()
        except IntegrityError:
            row = account_of(session, owner, for_update=True)
            if row is None:
                raise
            previous = row.account_masked
    _fill(row, body, masked, principal.user_id, now)
    record(
        session,
        owner,
        SettlementEventKind.PAYOUT_ACCOUNT_SET,
        principal.user_id,
        data={"bank_name": body.bank_name, "account_masked": masked, "previous_masked": previous},
    )
    session.flush()
    return payout_account_out(row)


def _fill(row: PayoutAccount, body: PayoutAccountIn, masked: str, user_id: int, now: datetime) -> None:
    row.holder_name = body.holder_name
    row.bank_name = body.bank_name
    row.account_number = body.account_number
    row.account_masked = masked
    row.updated_by = user_id
    row.updated_at = now


def get_payout_account(session: Session, principal: Principal, shop_id: int) -> PayoutAccountOut | None:
    """The owner's view of the payout account (masked); None when none is set."""
    shops.require_shop_owner(session, shop_id, principal)
    row = account_of(session, Owner.shop(shop_id))
    return payout_account_out(row) if row else None


def get_creator_payout_account(session: Session, principal: Principal) -> PayoutAccountOut | None:
    """The creator's own payout account (masked); None when none is set."""
    row = account_of(session, Owner.creator(principal.user_id))
    return payout_account_out(row) if row else None

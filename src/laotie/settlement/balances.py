"""What a shop (or a creator) has: pending and available money from the ledger, withdrawals on their way, and the
statement of every movement."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind
from laotie.settings import get_settings
from laotie.settlement.owners import Owner
from laotie.settlement.schemas import BalanceOut, CreatorBalanceOut, StatementLineOut
from laotie.settlement.withdrawals import check_viewer, in_flight_and_withdrawn
from laotie.shops import service as shops


def shop_balance(session: Session, principal: Principal, shop_id: int, params: PageParams) -> BalanceOut:
    """The shop's balances and one page of its statement, newest first (members and staff)."""
    check_viewer(session, principal, shop_id)
    in_flight, withdrawn = in_flight_and_withdrawn(session, Owner.shop(shop_id))
    lines, total = ledger.statement(
        session,
        [(AccountKind.SHOP_PENDING, shop_id), (AccountKind.SHOP_AVAILABLE, shop_id)],
        params.limit,
        params.offset,
    )
    return BalanceOut(
        shop_id=shop_id,
        pending_fen=ledger.balance(session, AccountKind.SHOP_PENDING, shop_id),
        available_fen=ledger.balance(session, AccountKind.SHOP_AVAILABLE, shop_id),
        in_flight_fen=in_flight,
        withdrawn_fen=withdrawn,
        withdrawals_frozen=shops.withdrawals_frozen(session, shop_id),
        min_withdrawal_fen=get_settings().withdrawal_min_fen,
        statement=Page(
            items=[
                StatementLineOut(
                    entry_id=line.id,
                    account=line.account,
                    amount_fen=line.amount_fen,
                    kind=line.kind,
                    reference_type=line.reference_type,
                    reference_id=line.reference_id,
                    memo=line.memo,
                    at=line.created_at,
                )
                for line in lines
            ],
            total=total,
            limit=params.limit,
            offset=params.offset,
        ),
    )


def creator_balance(session: Session, creator_id: int) -> CreatorBalanceOut:
    """What a creator may withdraw (settled commission), what is on its way and what was paid out."""
    owner = Owner.creator(creator_id)
    in_flight, withdrawn = in_flight_and_withdrawn(session, owner)
    return CreatorBalanceOut(
        creator_id=creator_id,
        available_fen=ledger.balance(session, owner.available, creator_id),
        in_flight_fen=in_flight,
        withdrawn_fen=withdrawn,
        min_withdrawal_fen=get_settings().withdrawal_min_fen,
    )

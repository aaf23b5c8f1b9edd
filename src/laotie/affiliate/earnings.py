"""What a creator has earned: commission pending inside the return window, and settled.

The numbers are the ledger's: completion books Cr ``commission_payable`` (pending) per order,
settlement moves it to ``commission_available`` (settled, withdrawable), refunds reverse it pro rata,
a withdrawal takes it out to the creator's bank account (``withdrawals``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.affiliate.schemas import EarningLine, EarningsOut
from laotie.core.auth import Principal
from laotie.core.pagination import PageParams
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, TransactionKind
from laotie.settlement import service as settlement

STATES = {AccountKind.COMMISSION_PAYABLE: "pending", AccountKind.COMMISSION_AVAILABLE: "settled"}
# What each booking means for the creator (the ledger's memo speaks for the merchant).
DESCRIBED: dict[str, str] = {
    TransactionKind.ORDER_COMPLETED: "确认收货，佣金入账",
    TransactionKind.ORDER_SETTLED: "售后期结束，佣金结算",
    TransactionKind.WITHDRAWAL: "提现到银行账户",
    TransactionKind.WITHDRAWAL_REVERSAL: "提现失败，退回可提现余额",
}


def earnings(session: Session, principal: Principal, params: PageParams) -> EarningsOut:
    creator_id = principal.user_id
    accounts = [(kind, creator_id) for kind in STATES]
    entries, total = ledger.statement(session, accounts, params.limit, params.offset)
    lines = [
        EarningLine(
            order_id=int(e.reference_id)
            if e.reference_type == "order" and e.reference_id.isdigit()
            else None,
            state=STATES[e.account],
            amount_fen=e.amount_fen,
            kind=e.kind,
            memo=DESCRIBED.get(e.kind, e.memo),
            at=e.created_at,
        )
        for e in entries
    ]
    money = settlement.creator_balance(session, creator_id)
    return EarningsOut(
        pending_fen=ledger.balance(session, AccountKind.COMMISSION_PAYABLE, creator_id),
        settled_fen=money.available_fen,
        in_flight_fen=money.in_flight_fen,
        withdrawn_fen=money.withdrawn_fen,
        min_withdrawal_fen=money.min_withdrawal_fen,
        lines=lines,
        total=total,
        limit=params.limit,
        offset=params.offset,
    )

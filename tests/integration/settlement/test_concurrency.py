"""House rule 5 for money, on both databases: simultaneous withdrawals never spend more than is there."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind
from laotie.settlement import service as settlement
from laotie.settlement.models import Withdrawal
from tests.factories.races import Attempt, race
from tests.factories.settlement import MoneyShop, make_money_shop

THREADS = 20


def _race(db: Database, shop: MoneyShop, amounts: list[int], keys: list[str]) -> list[str]:
    """Every thread withdraws at the same moment; returns each one's outcome ("ok" or a code)."""

    def withdraw(amount: int, key: str) -> Attempt:
        return lambda s: settlement.request_withdrawal(s, shop.owner, shop.shop_id, amount, key)

    return race(db, [withdraw(a, k) for a, k in zip(amounts, keys, strict=True)])


def test_20_simultaneous_withdrawals_pay_out_only_what_is_available(db: Database, session: Session) -> None:
    shop = make_money_shop(session, available_fen=1_500)
    session.rollback()
    outcomes = _race(db, shop, [100] * THREADS, [f"wd-{i}" for i in range(THREADS)])
    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == 15
    assert set(outcomes) == {"ok", "INSUFFICIENT_BALANCE"}
    session.rollback()
    assert ledger.balance(session, AccountKind.SHOP_AVAILABLE, shop.shop_id) == 0
    withdrawn = session.scalar(
        select(func.sum(Withdrawal.amount_fen)).where(Withdrawal.shop_id == shop.shop_id)
    )
    assert withdrawn == 1_500


def test_the_same_key_sent_20_times_at_once_withdraws_once(db: Database, session: Session) -> None:
    shop = make_money_shop(session, available_fen=10_000)
    session.rollback()
    outcomes = _race(db, shop, [700] * THREADS, ["same-key"] * THREADS)
    assert outcomes == ["ok"] * THREADS  # every caller gets the one withdrawal
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Withdrawal)) == 1
    assert ledger.balance(session, AccountKind.SHOP_AVAILABLE, shop.shop_id) == 9_300

"""Shops with money for settlement tests: balances booked straight into the ledger, a payout account
set by the owner, and a helper that runs a withdrawal's whole round trip through the sandbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting
from laotie.settlement import service as settlement
from laotie.settlement.schemas import PayoutAccountIn
from laotie.shops import service as shops
from tests.factories import make_user
from tests.factories.payments import deliver
from tests.factories.shops import make_open_shop, principal_of

# The sandbox pays any account, except one whose number ends in 0000 (its bank refuses it).
GOOD_ACCOUNT = "6222020200112233445"
CLOSED_ACCOUNT = "6222020200110000"
_refs = itertools.count(1)


@dataclass(frozen=True)
class MoneyShop:
    shop_id: int
    owner: Principal
    headers: dict[str, str]


def give_available(session: Session, shop_id: int, amount_fen: int) -> None:
    """Money the shop may withdraw, as if settled orders had put it there (Dr PSP_CASH / Cr SHOP_AVAILABLE)."""
    _book(session, "available", AccountKind.PSP_CASH, AccountKind.SHOP_AVAILABLE, shop_id, amount_fen)


def give_pending(session: Session, shop_id: int, amount_fen: int) -> None:
    """Earnings still inside the return window (Dr PLATFORM_CLEARING / Cr SHOP_PENDING)."""
    _book(session, "pending", AccountKind.PLATFORM_CLEARING, AccountKind.SHOP_PENDING, shop_id, amount_fen)


def _book(
    session: Session, what: str, debit: AccountKind, shop_account: AccountKind, shop_id: int, amount_fen: int
) -> None:
    """A balanced posting straight into the ledger, crediting the shop's ``shop_account``."""
    ref = next(_refs)
    ledger.post(
        session,
        kind=f"test_{what}",
        reference_type="test",
        reference_id=ref,
        postings=[Posting(debit, amount_fen), Posting(shop_account, -amount_fen, shop_id)],
        idempotency_key=f"test:{what}:{ref}",
    )
    session.commit()


def set_account(session: Session, shop_id: int, owner: Principal, number: str = GOOD_ACCOUNT) -> None:
    settlement.set_payout_account(
        session,
        owner,
        shop_id,
        PayoutAccountIn(holder_name="东北山货源头店", bank_name="中国工商银行", account_number=number),
    )
    session.commit()


def make_money_shop(
    session: Session, available_fen: int = 10_000, account_number: str | None = GOOD_ACCOUNT
) -> MoneyShop:
    """An open shop with ``available_fen`` to withdraw and (unless None) a payout account."""
    shop_id, owner_id, headers = make_open_shop(session)
    owner = principal_of(session, owner_id)
    if available_fen:
        give_available(session, shop_id, available_fen)
    if account_number is not None:
        set_account(session, shop_id, owner, account_number)
    return MoneyShop(shop_id, owner, headers)


def run_outbox(db: Database, session: Session) -> None:
    """Deliver every due outbox event. The test's own session lets go of its transaction first: on
    SQLite an open one holds the write lock the handlers need."""
    session.rollback()
    OutboxWorker(db).run_until_idle()


def round_trip(db: Database, client: TestClient, session: Session) -> None:
    """Send every requested payout, let the sandbox bank answer by webhook, and apply its answers."""
    run_outbox(db, session)
    deliver(db, client)
    run_outbox(db, session)


def make_staff(session: Session, shop: MoneyShop) -> tuple[Principal, dict[str, str]]:
    """A staff account (子账号) the owner added to the shop."""
    user_id, headers = make_user(session)
    phone = accounts.get_user_out(session, user_id).phone
    assert phone is not None
    shops.add_staff(session, shop.owner, shop.shop_id, phone)
    session.commit()
    return principal_of(session, user_id), headers

"""Creators withdraw settled commission (提现) through the shop withdrawal's machinery: booked at
request (Dr COMMISSION_AVAILABLE / Cr PSP_CASH), paid out through the sandbox after commit, reversed
exactly when the bank refuses, idempotent, never more than is settled, and refused with nothing
written when it may not happen. The books are checked after every test (conftest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.money import share_of
from laotie.core.pagination import PageParams
from laotie.ledger import service as ledger
from laotie.ledger.models import LedgerTransaction
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.settlement.models import PayoutAccount, SettlementEvent, Withdrawal
from tests.factories.affiliate import (
    Creator,
    by_creator,
    give_settled_commission,
    make_creator,
    offer,
    place_paid,
    set_creator_account,
)
from tests.factories.catalog import owner_principal
from tests.factories.orders import key, make_on_sale
from tests.factories.races import race
from tests.factories.settlement import CLOSED_ACCOUNT, round_trip

PAGE = PageParams(limit=20, offset=0)


def _available(session: Session, creator: Creator) -> int:
    return ledger.balance(session, K.COMMISSION_AVAILABLE, creator.user_id)


def _rows(session: Session) -> dict[str, int]:
    """What a refused withdrawal must not add."""
    tables: dict[str, Any] = {
        "withdrawal": Withdrawal,
        "event": SettlementEvent,
        "ledger": LedgerTransaction,
        "outbox": OutboxEvent,
    }
    return {name: session.scalar(select(func.count()).select_from(m)) or 0 for name, m in tables.items()}


def test_commission_from_a_real_order_is_withdrawn_to_the_creators_bank(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 1500)
    creator = make_creator(session)
    order_id = place_paid(client, app, db, session, sale, by_creator(creator), quantity=2)
    owner = owner_principal(session, sale.shop_id)
    fulfilment.ship(session, owner, sale.shop_id, order_id, "中通快递", "ZT1000000009")
    session.commit()
    with clock.travel(timedelta(hours=49)):
        fulfilment.mark_delivered(session, order_id)
        session.commit()
    with clock.travel(timedelta(days=13)):
        fulfilment.auto_confirm(session)
        session.commit()
    with clock.travel(timedelta(days=20)):
        assert fulfilment.settle_due(session) == [order_id]
        session.commit()
    commission = share_of(20000, 1500)
    assert _available(session, creator) == commission == 3000
    set_creator_account(session, creator)

    out = affiliate.withdraw_commission(session, creator.principal, 2000, "wd-1")
    session.commit()
    assert (out.creator_id, out.shop_id, out.status, out.amount_fen) == (
        creator.user_id,
        None,
        "requested",
        2000,
    )
    assert out.account_masked == "**** **** **** 3445"
    assert _available(session, creator) == 1000
    assert ledger.net_for(session, "withdrawal", out.id) == {
        (K.COMMISSION_AVAILABLE, creator.user_id): 2000,
        (K.PSP_CASH, None): -2000,
    }
    round_trip(db, client, session)
    done = affiliate.commission_withdrawal(session, creator.principal, out.id)
    assert done.status == "paid" and done.provider_payout_ref
    assert [e.kind for e in done.events] == ["requested", "payout_sent", "paid"]
    earned = affiliate.earnings(session, creator.principal, PAGE)
    assert (earned.settled_fen, earned.in_flight_fen, earned.withdrawn_fen) == (1000, 0, 2000)
    assert earned.lines[0].kind == "withdrawal" and earned.lines[0].amount_fen == -2000
    assert earned.lines[0].memo == "提现到银行账户"


def test_refused_withdrawals_write_nothing(session: Session) -> None:
    creator = make_creator(session)
    give_settled_commission(session, creator.user_id, 5000)
    cases: list[tuple[int, str]] = [(1000, "PAYOUT_ACCOUNT_REQUIRED")]
    for amount, code in cases:
        before = _rows(session)
        with pytest.raises(AppError) as exc:
            affiliate.withdraw_commission(session, creator.principal, amount, key())
        assert exc.value.code == code
        session.rollback()
        assert _rows(session) == before and _available(session, creator) == 5000
    set_creator_account(session, creator)
    for amount, code in [
        (5001, "INSUFFICIENT_BALANCE"),
        (99, "BELOW_MINIMUM_WITHDRAWAL"),
        (0, "INVALID_AMOUNT"),
    ]:
        before = _rows(session)
        with pytest.raises(AppError) as exc:
            affiliate.withdraw_commission(session, creator.principal, amount, key())
        assert exc.value.code == code
        session.rollback()
        assert _rows(session) == before and _available(session, creator) == 5000
    with pytest.raises(AppError) as exc:
        affiliate.withdraw_commission(session, creator.principal, 1000, "")
    assert exc.value.code == "IDEMPOTENCY_KEY_REQUIRED"
    session.rollback()
    assert _rows(session) == before


def test_same_key_is_one_withdrawal_and_another_amount_is_refused(session: Session) -> None:
    creator = make_creator(session)
    give_settled_commission(session, creator.user_id, 5000)
    set_creator_account(session, creator)
    first = affiliate.withdraw_commission(session, creator.principal, 1500, "same")
    session.commit()
    again = affiliate.withdraw_commission(session, creator.principal, 1500, "same")
    session.commit()
    assert again.id == first.id and again.replayed and not first.replayed
    before = _rows(session)
    with pytest.raises(AppError) as exc:
        affiliate.withdraw_commission(session, creator.principal, 1600, "same")
    assert exc.value.code == "IDEMPOTENCY_KEY_REUSED"
    session.rollback()
    assert _rows(session) == before and _available(session, creator) == 3500
    # A shop's withdrawal keys and a creator's never meet: each owner has its own.
    other = make_creator(session, nickname="另一个达人")
    give_settled_commission(session, other.user_id, 2000)
    set_creator_account(session, other)
    theirs = affiliate.withdraw_commission(session, other.principal, 1500, "same")
    session.commit()
    assert theirs.id != first.id and not theirs.replayed


def test_refused_by_the_bank_the_commission_comes_back(
    client: TestClient, db: Database, session: Session
) -> None:
    creator = make_creator(session)
    give_settled_commission(session, creator.user_id, 5000)
    set_creator_account(session, creator, CLOSED_ACCOUNT)
    out = affiliate.withdraw_commission(session, creator.principal, 4000, key())
    session.commit()
    assert _available(session, creator) == 1000
    round_trip(db, client, session)
    failed = affiliate.commission_withdrawal(session, creator.principal, out.id)
    assert failed.status == "failed" and failed.failure_reason
    assert _available(session, creator) == 5000
    assert ledger.net_for(session, "withdrawal", out.id) == {}
    earned = affiliate.earnings(session, creator.principal, PAGE)
    assert (earned.settled_fen, earned.in_flight_fen, earned.withdrawn_fen) == (5000, 0, 0)


def test_parallel_withdrawals_never_overdraw(db: Database, session: Session) -> None:
    """On PostgreSQL the threads truly overlap; the creator's payout-account row lock lets one
    through at a time, so 15 of 20 fit in 1 500 fen and the rest are refused."""
    creator = make_creator(session)
    give_settled_commission(session, creator.user_id, 1500)
    set_creator_account(session, creator)
    session.rollback()
    outcomes = race(
        db,
        [
            lambda s, n=n: affiliate.withdraw_commission(s, creator.principal, 100, f"par-{n}")
            for n in range(20)
        ],
    )
    assert outcomes.count("ok") == 15
    assert set(outcomes) == {"ok", "INSUFFICIENT_BALANCE"}
    session.rollback()
    assert _available(session, creator) == 0
    total = session.scalar(
        select(func.sum(Withdrawal.amount_fen)).where(Withdrawal.creator_id == creator.user_id)
    )
    assert total == 1500


def test_creator_withdrawals_over_http(client: TestClient, session: Session) -> None:
    creator = make_creator(session)
    give_settled_commission(session, creator.user_id, 5000)
    session.rollback()
    account = {
        "holder_name": "带货达人小王",
        "bank_name": "中国建设银行",
        "account_number": "6222 0202 0011 2233 445",
    }
    put = client.put("/api/v1/creator/payout-account", json=account, headers=creator.headers)
    assert put.status_code == 200, put.text
    assert put.json()["creator_id"] == creator.user_id and put.json()["shop_id"] is None
    assert "2233445" not in put.text
    assert client.get("/api/v1/creator/payout-account", headers=creator.headers).json()["account_masked"] == (
        "**** **** **** 3445"
    )
    headers = {**creator.headers, "Idempotency-Key": "http-1"}
    first = client.post("/api/v1/creator/withdrawals", json={"amount_fen": 1200}, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/creator/withdrawals", json={"amount_fen": 1200}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    too_much = client.post(
        "/api/v1/creator/withdrawals",
        json={"amount_fen": 9000},
        headers={**creator.headers, "Idempotency-Key": "x"},
    )
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    listed = client.get("/api/v1/creator/withdrawals", headers=creator.headers).json()
    assert [w["id"] for w in listed["items"]] == [first.json()["id"]]
    # Someone else's withdrawal does not exist for another creator; buyers are not creators.
    other = make_creator(session, nickname="另一个达人")
    session.rollback()
    seen = client.get(f"/api/v1/creator/withdrawals/{first.json()['id']}", headers=other.headers)
    assert seen.status_code == 404 and seen.json()["error"]["code"] == "WITHDRAWAL_NOT_FOUND"
    session.expire_all()
    assert _available(session, creator) == 3800
    assert (
        session.scalar(
            select(func.count()).select_from(PayoutAccount).where(PayoutAccount.creator_id == creator.user_id)
        )
        == 1
    )

"""Withdrawals through the service layer: booked at request, paid out through the sandbox, reversed
exactly when the bank refuses, and refused (with nothing written) when they may not happen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind, Posting
from laotie.payments import gateway
from laotie.payments.interfaces import ProviderError
from laotie.settlement import service as settlement
from laotie.settlement.models import SettlementEvent, Withdrawal
from laotie.settlement.schemas import WithdrawalDetail
from laotie.shops import service as shops
from tests.factories.payments import deliver, events
from tests.factories.settlement import (
    CLOSED_ACCOUNT,
    MoneyShop,
    make_money_shop,
    make_staff,
    round_trip,
    run_outbox,
)
from tests.factories.shops import make_reviewer

PAGE = PageParams(limit=20, offset=0)


def _available(session: Session, shop_id: int) -> int:
    session.rollback()  # read what is committed now, not what this session saw before
    return ledger.balance(session, AccountKind.SHOP_AVAILABLE, shop_id)


def _detail(db: Database, shop: MoneyShop, withdrawal_id: int) -> WithdrawalDetail:
    with unit_of_work(db, read_only=True) as s:
        return settlement.get_withdrawal(s, shop.owner, shop.shop_id, withdrawal_id)


def _rows(session: Session) -> dict[str, int]:
    """What a refused request must leave untouched."""
    session.rollback()
    return {
        "withdrawals": session.scalar(select(func.count()).select_from(Withdrawal)) or 0,
        "trail": session.scalar(select(func.count()).select_from(SettlementEvent)) or 0,
        "transactions": ledger.check(session).transactions,
        "outbox": session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic.like("Withdrawal%"))
        )
        or 0,
    }


def test_a_withdrawal_is_booked_sent_and_paid(db: Database, session: Session, client: TestClient) -> None:
    shop = make_money_shop(session, available_fen=10_000)
    out = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 3_000, "wd-1")
    session.commit()
    assert (out.status, out.amount_fen, out.account_masked) == ("requested", 3_000, "**** **** **** 3445")
    assert _available(session, shop.shop_id) == 7_000
    [booked] = ledger.transactions_for(session, "withdrawal", out.id)
    assert (booked.kind, set(booked.postings)) == (
        "withdrawal",
        {Posting(AccountKind.SHOP_AVAILABLE, 3_000, shop.shop_id), Posting(AccountKind.PSP_CASH, -3_000)},
    )

    round_trip(db, client, session)

    done = _detail(db, shop, out.id)
    assert done.status == "paid" and done.paid_at is not None and done.provider_payout_ref
    assert [(e.kind, e.from_status, e.to_status) for e in done.events] == [
        ("requested", None, "requested"),
        ("payout_sent", "requested", "processing"),
        ("paid", "processing", "paid"),
    ]
    assert done.events[0].actor_id == shop.owner.user_id
    assert _available(session, shop.shop_id) == 7_000  # paid out once, nothing given back
    assert len(ledger.transactions_for(session, "withdrawal", out.id)) == 1
    assert [e["withdrawal_id"] for e in events(db, "WithdrawalPaid")] == [out.id]
    balance = settlement.shop_balance(session, shop.owner, shop.shop_id, PAGE)
    assert (balance.available_fen, balance.in_flight_fen, balance.withdrawn_fen) == (7_000, 0, 3_000)


def test_a_refused_payout_gives_the_money_back_exactly_once(
    db: Database, session: Session, client: TestClient
) -> None:
    shop = make_money_shop(session, available_fen=10_000, account_number=CLOSED_ACCOUNT)
    out = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 2_500, "wd-1")
    session.commit()
    round_trip(db, client, session)

    failed = _detail(db, shop, out.id)
    assert (failed.status, failed.failure_reason) == ("failed", "account_closed")
    assert [e.kind for e in failed.events] == ["requested", "payout_sent", "failed"]
    assert _available(session, shop.shop_id) == 10_000
    booking, reversal = ledger.transactions_for(session, "withdrawal", out.id)
    assert reversal.kind == "withdrawal_reversal"
    assert {(p.kind, p.owner_id, -p.amount_fen) for p in booking.postings} == {
        (p.kind, p.owner_id, p.amount_fen) for p in reversal.postings
    }
    # The same answer delivered again (a duplicate webhook with a new event id) changes nothing.
    [payload] = events(db, "PayoutFailed")
    settlement.apply_result(session, payload, paid=False)
    session.commit()
    assert _available(session, shop.shop_id) == 10_000
    assert len(_detail(db, shop, out.id).events) == 3
    assert [e["failure_reason"] for e in events(db, "WithdrawalFailed")] == ["account_closed"]


def test_a_result_that_does_not_match_is_kept_in_the_trail_not_applied(
    db: Database, session: Session, client: TestClient
) -> None:
    shop = make_money_shop(session)
    out = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    session.commit()
    run_outbox(db, session)  # sent; the bank has not answered yet
    sent = _detail(db, shop, out.id)
    forged: dict[str, Any] = {
        "provider_payout_ref": sent.provider_payout_ref,
        "amount_fen": 99_999,
        "failure_reason": "",
        "metadata": {"settlement_withdrawal_id": str(out.id)},
    }
    settlement.apply_result(session, forged, paid=True)
    settlement.apply_result(session, {**forged, "metadata": {"other": "1"}}, paid=False)  # not ours
    session.commit()
    after = _detail(db, shop, out.id)
    assert after.status == "processing"
    assert after.events[-1].kind == "payout_result_ignored" and "99999" in after.events[-1].reason
    session.rollback()
    deliver(db, client)
    run_outbox(db, session)
    assert _detail(db, shop, out.id).status == "paid"


def test_frozen_withdrawals_are_refused_and_nothing_is_written(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_reviewer(session)
    shops.freeze_withdrawals(session, shop.shop_id, staff, "涉嫌刷单，冻结提现")
    session.commit()
    before = _rows(session)
    with pytest.raises(AppError) as refused:
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    assert (refused.value.code, refused.value.status) == ("WITHDRAWALS_FROZEN", 403)
    assert _rows(session) == before and _available(session, shop.shop_id) == 10_000

    shops.unfreeze_withdrawals(session, shop.shop_id, staff, "申诉成立")
    session.commit()
    assert (
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1").status == "requested"
    )
    session.commit()
    # Freezing the whole shop holds its money as well.
    shops.freeze(session, shop.shop_id, staff, "涉嫌售假")
    session.commit()
    with pytest.raises(AppError) as refused:
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-2")
    assert refused.value.code == "WITHDRAWALS_FROZEN"


def test_staff_may_look_but_only_the_owner_withdraws(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_staff(session, shop)
    before = _rows(session)
    with pytest.raises(AppError) as refused:
        settlement.request_withdrawal(session, staff, shop.shop_id, 1_000, "wd-1")
    assert (refused.value.code, refused.value.status) == ("NOT_SHOP_OWNER", 403)
    assert _rows(session) == before
    assert settlement.shop_balance(session, staff, shop.shop_id, PAGE).available_fen == 10_000
    assert settlement.list_withdrawals(session, staff, shop.shop_id, PAGE).total == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (10_001, "INSUFFICIENT_BALANCE"),
        (99, "BELOW_MINIMUM_WITHDRAWAL"),
        (0, "INVALID_AMOUNT"),
        (-100, "INVALID_AMOUNT"),
        (150.0, "INVALID_AMOUNT"),
        (True, "INVALID_AMOUNT"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(session: Session, amount: Any, code: str) -> None:
    shop = make_money_shop(session, available_fen=10_000)
    before = _rows(session)
    with pytest.raises(AppError) as refused:
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, amount, "wd-1")
    assert refused.value.code == code
    if code == "INSUFFICIENT_BALANCE":
        assert (refused.value.status, refused.value.details["available_fen"]) == (409, 10_000)
    assert _rows(session) == before and _available(session, shop.shop_id) == 10_000


def test_no_payout_account_no_withdrawal(session: Session) -> None:
    shop = make_money_shop(session, account_number=None)
    with pytest.raises(AppError) as refused:
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    assert refused.value.code == "PAYOUT_ACCOUNT_REQUIRED"
    assert _available(session, shop.shop_id) == 10_000


def test_a_retried_request_withdraws_once(db: Database, session: Session, client: TestClient) -> None:
    shop = make_money_shop(session, available_fen=10_000)
    first = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 4_000, "wd-1")
    session.commit()
    again = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 4_000, "wd-1")
    session.commit()
    assert (again.id, again.replayed, first.replayed) == (first.id, True, False)
    assert _available(session, shop.shop_id) == 6_000
    with pytest.raises(AppError) as reused:
        settlement.request_withdrawal(session, shop.owner, shop.shop_id, 5_000, "wd-1")
    assert (reused.value.code, reused.value.status) == ("IDEMPOTENCY_KEY_REUSED", 409)
    session.rollback()
    round_trip(db, client, session)
    # Once paid, the same retry still answers with that withdrawal, now paid, and pays nothing more.
    late = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 4_000, "wd-1")
    assert (late.id, late.status, late.replayed) == (first.id, "paid", True)
    session.commit()
    assert _available(session, shop.shop_id) == 6_000
    assert len(events(db, "PayoutPaid")) == 1


def test_another_shop_can_neither_see_nor_withdraw(session: Session) -> None:
    mine = make_money_shop(session)
    theirs = make_money_shop(session)
    out = settlement.request_withdrawal(session, mine.owner, mine.shop_id, 1_000, "wd-1")
    session.commit()
    for attempt in (
        lambda: settlement.request_withdrawal(session, theirs.owner, mine.shop_id, 1_000, "wd-x"),
        lambda: settlement.shop_balance(session, theirs.owner, mine.shop_id, PAGE),
        lambda: settlement.list_withdrawals(session, theirs.owner, mine.shop_id, PAGE),
        lambda: settlement.get_withdrawal(session, theirs.owner, mine.shop_id, out.id),
        lambda: settlement.get_payout_account(session, theirs.owner, mine.shop_id),
    ):
        with pytest.raises(AppError) as refused:
            attempt()
        assert refused.value.code == "NOT_SHOP_MEMBER"
    # Through their own shop's address, my withdrawal does not exist.
    with pytest.raises(AppError) as hidden:
        settlement.get_withdrawal(session, theirs.owner, theirs.shop_id, out.id)
    assert hidden.value.code == "WITHDRAWAL_NOT_FOUND"
    session.rollback()
    assert _available(session, mine.shop_id) == 9_000 and _available(session, theirs.shop_id) == 10_000


def test_a_payout_the_provider_could_not_take_is_sent_again_later(
    db: Database, session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_money_shop(session)
    out = settlement.request_withdrawal(session, shop.owner, shop.shop_id, 1_000, "wd-1")
    session.commit()

    class Down:
        name = "down"

        def send_payout(self, **_: Any) -> Any:
            raise ProviderError("connection reset")

    real = gateway.get_payout_provider
    monkeypatch.setattr(gateway, "get_payout_provider", lambda s: Down())
    run_outbox(db, session)
    assert _detail(db, shop, out.id).status == "requested"  # money held, payout owed
    monkeypatch.setattr(gateway, "get_payout_provider", real)

    assert settlement.resend_stuck(session, timedelta(minutes=2)) == []  # too early to tell
    with clock.travel(timedelta(minutes=3)):
        assert settlement.resend_stuck(session, timedelta(minutes=2)) == [out.id]
        session.commit()
        run_outbox(db, session)  # the outbox's own retry finds it sent already
    session.rollback()
    deliver(db, client)
    run_outbox(db, session)
    paid = _detail(db, shop, out.id)
    assert paid.status == "paid" and [e.kind for e in paid.events] == ["requested", "payout_sent", "paid"]
    assert len(events(db, "PayoutPaid")) == 1
    assert _available(session, shop.shop_id) == 9_000

"""The creator's earnings page: the withdrawable balance, the payout account form and the withdraw
form (提现), which withdraws once per rendered form and refuses with nothing written."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.settlement.models import Withdrawal
from tests.factories.affiliate import give_settled_commission, make_creator
from tests.factories.web import sign_in


def _key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _withdrawals(session: Session, creator_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(Withdrawal).where(Withdrawal.creator_id == creator_id)
    )
    session.rollback()  # SQLite: a read holds the write lock the page's requests need
    return count or 0


def test_creator_sets_an_account_and_withdraws_from_the_earnings_page(
    client: TestClient, session: Session
) -> None:
    creator = make_creator(session, nickname="带货小王")
    give_settled_commission(session, creator.user_id, 5000)
    session.rollback()
    sign_in(client, creator.headers)
    page = client.get("/creator/earnings").text
    assert "可提现（已结算）" in page and "¥50.00" in page and "先设置收款银行账户" in page
    assert 'action="/creator/earnings/withdraw"' not in page
    bad = client.post(
        "/creator/earnings/account",
        data={"holder_name": "小王", "bank_name": "建行", "account_number": "12"},
        follow_redirects=False,
    )
    assert bad.status_code == 303 and "先设置收款银行账户" in client.get("/creator/earnings").text
    client.post(
        "/creator/earnings/account",
        data={
            "holder_name": "带货小王",
            "bank_name": "中国建设银行",
            "account_number": "6217000010002233445",
        },
    )
    page = client.get("/creator/earnings").text
    assert "**** **** **** 3445" in page and "6217000010002233445" not in page
    key = _key(page)
    # More than is settled: refused, nothing written.
    refused = client.post(
        "/creator/earnings/withdraw", data={"amount": "60", "idempotency_key": key}, follow_redirects=False
    )
    assert refused.status_code == 303 and _withdrawals(session, creator.user_id) == 0
    assert "可提现余额不足" in client.get("/creator/earnings").text
    # The form posted twice (a double click) withdraws once.
    for _ in range(2):
        posted = client.post(
            "/creator/earnings/withdraw",
            data={"amount": "20.00", "idempotency_key": key},
            follow_redirects=False,
        )
        assert posted.status_code == 303
    assert _withdrawals(session, creator.user_id) == 1
    assert ledger.balance(session, K.COMMISSION_AVAILABLE, creator.user_id) == 3000
    session.rollback()  # SQLite: the read above holds the write lock the page's request needs
    page = client.get("/creator/earnings").text
    assert "¥30.00" in page and "处理中" in page and "提现到银行账户" in page

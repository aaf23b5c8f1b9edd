"""Property: for any sequence of partial refunds of a real completed order (with a leg another
domain added, like a platform subsidy), each refund reverses its exact pro-rata share, nothing is
ever refunded past what was paid, the last refund leaves every leg of the order at zero, and the
books balance throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.reversal import distribution
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.orders import fulfilment
from laotie.orders import service as orders
from tests.factories.aftersales import completed, open_case, paid_order, photo, psp_cash


@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a database example costs minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=st.integers(101, 99_999),
    quantity=st.integers(1, 3),
    subsidy=st.integers(0, 5_000),
    settle=st.booleans(),
    wishes=st.lists(st.integers(1, 150_000), min_size=1, max_size=4),
)
def test_random_partial_refunds_reverse_exactly(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    price: int,
    quantity: int,
    subsidy: int,
    settle: bool,
    wishes: list[int],
) -> None:
    bought = paid_order(client, app, db, session, price_fen=price, quantity=quantity)
    completed(session, bought)
    shop = bought.sale.shop_id
    if subsidy:  # a leg this domain knows nothing about: the platform tops up the shop's share
        ledger.post(
            session,
            kind="test_subsidy",
            reference_type="order",
            reference_id=bought.order_id,
            postings=[Posting(K.SUBSIDY_EXPENSE, subsidy), Posting(K.SHOP_PENDING, -subsidy, owner_id=shop)],
            idempotency_key=f"test-subsidy-{bought.order_id}",
        )
        session.commit()
    if settle:
        with clock.travel(timedelta(days=10)):
            assert fulfilment.settle_due(session) == [bought.order_id]
            session.commit()
    paid = bought.paid_fen
    refunded = 0
    cash = psp_cash(session)
    with clock.travel(timedelta(days=11)):
        for wish in [*wishes, None]:  # None: refund whatever is left
            left = paid - refunded
            if left == 0:
                break
            amount = left if wish is None else wish
            before = distribution(ledger.net_for(session, "order", bought.order_id))
            evidence = photo(session, app.state.storage, bought.buyer)
            try:
                case = open_case(
                    session,
                    bought,
                    CaseKind.REFUND_ONLY,
                    CaseReason.QUALITY,
                    amount_fen=amount,
                    evidence_ids=[evidence],
                )
            except AppError as exc:
                session.rollback()
                assert amount > left and exc.code == "AFTERSALES_AMOUNT_TOO_HIGH"
                continue
            assert amount <= left
            aftersales.approve(session, bought.owner, case.id)
            session.commit()
            refunded += amount
            after = distribution(ledger.net_for(session, "order", bought.order_id))
            moved = {k: after.get(k, 0) - before.get(k, 0) for k in before}
            assert sum(moved.values()) == amount
            for k, v in moved.items():  # each leg gives back its share, within a fen
                assert abs(v * left + before[k] * amount) < left
            assert orders.refundable_order(session, bought.order_id).refunded_fen == refunded <= paid
            assert psp_cash(session) == cash - refunded
            assert ledger.check(session).ok
    assert refunded == paid
    assert distribution(ledger.net_for(session, "order", bought.order_id)) == {}
    assert orders.refundable_order(session, bought.order_id).status == "closed"
    with pytest.raises(AppError):
        open_case(session, bought, CaseKind.REFUND_ONLY, CaseReason.QUALITY, amount_fen=1)
    session.rollback()

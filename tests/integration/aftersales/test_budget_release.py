"""A partial refund gives the platform-funded part it reversed back to the promotion budget, pro
rata and once: after every refund of a completed order the budget's ``spent`` equals what the
ledger still books to SUBSIDY_EXPENSE for the order; before completion the same fraction of what the
order holds goes back (rounded down); the last refund gives back everything, coupons included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from laotie.promotions import service as promotions
from laotie.promotions.models import Budget, BudgetRelease, BuyerCoupon, PromotionUse
from tests.factories.aftersales import Bought, completed, open_case, paid_order, photo, ship
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.promotions import claim, platform_coupon, subsidy
from tests.factories.races import race


def _spent(session: Session, budget_id: int) -> int:
    session.expire_all()
    spent = session.scalar(select(Budget.spent_fen).where(Budget.id == budget_id))
    session.rollback()  # SQLite: a read holds the write lock the next step needs
    return int(spent or 0)


def _booked_subsidy(session: Session, order_id: int) -> int:
    return ledger.net_for(session, "order", order_id).get((K.SUBSIDY_EXPENSE, None), 0)


def _refund(session: Session, app: FastAPI, bought: Bought, amount: int) -> int:
    case = open_case(
        session,
        bought,
        CaseKind.REFUND_ONLY,
        CaseReason.QUALITY,
        amount_fen=amount,
        evidence_ids=[photo(session, app.state.storage, bought.buyer)],
    )
    aftersales.approve(session, bought.owner, case.id)
    session.commit()
    return case.id


def _subsidised(
    client: TestClient, app: FastAPI, db: Database, session: Session, per_unit: int = 1000
) -> tuple[Bought, int]:
    sale = make_on_sale(session, price_fen=10000)
    budget_id = subsidy(session, sale.sku_id, per_unit_fen=per_unit, budget_fen=100_000).budget_id
    bought = paid_order(client, app, db, session, sale=sale, quantity=3)
    return bought, budget_id


def test_partial_refunds_after_completion_give_back_what_they_reversed(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought, budget_id = _subsidised(client, app, db, session)
    completed(session, bought)
    assert _spent(session, budget_id) == 3000 == _booked_subsidy(session, bought.order_id)
    payable = 27000
    with clock.travel(timedelta(days=4)):
        for amount in (9000, 7001, 3):
            _refund(session, app, bought, amount)
            # The budget went down by exactly what the refund took out of SUBSIDY_EXPENSE.
            assert _spent(session, budget_id) == _booked_subsidy(session, bought.order_id)
            payable -= amount
        case_id = _refund(session, app, bought, payable)  # everything that is left
    assert _spent(session, budget_id) == 0 == _booked_subsidy(session, bought.order_id)
    assert orders.refundable_order(session, bought.order_id).status == "closed"
    use = session.scalar(select(PromotionUse).where(PromotionUse.order_id == bought.order_id))
    assert use is not None and use.released_at is not None
    # Each refund gave its share back once; a second try of the last one gives nothing.
    releases = session.scalars(select(BudgetRelease).where(BudgetRelease.order_id == bought.order_id)).all()
    assert releases[0].amount_fen == 1000 and sum(r.amount_fen for r in releases) == 3000
    assert (
        promotions.release_budget_share(
            session, bought.order_id, 500, f"aftersales:{case_id}:approved:budget"
        )
        == 0
    )
    session.commit()
    assert _spent(session, budget_id) == 0


def test_partial_refund_before_completion_gives_back_the_same_fraction(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought, budget_id = _subsidised(client, app, db, session)
    ship(session, bought)
    with clock.travel(timedelta(hours=1)):
        _refund(session, app, bought, 9000)  # a third of 27 000
    assert _spent(session, budget_id) == 2000
    with clock.travel(timedelta(hours=2)):
        _refund(session, app, bought, 10)  # 2 000 × 10 / 18 000 rounds down to 1
    assert _spent(session, budget_id) == 1999
    # Completion books the subsidy and reverses the refunded share; the two stay within a fen.
    with clock.travel(timedelta(hours=49)):
        fulfilment.mark_delivered(session, bought.order_id)
        session.commit()
    with clock.travel(timedelta(days=3)):
        fulfilment.confirm_receipt(session, bought.buyer.principal, bought.order_id)
        session.commit()
    assert abs(_booked_subsidy(session, bought.order_id) - _spent(session, budget_id)) <= 1


def test_a_refused_or_repeated_refund_gives_nothing_back(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought, budget_id = _subsidised(client, app, db, session)
    completed(session, bought)
    with clock.travel(timedelta(days=4)):
        case_id = _refund(session, app, bought, 9000)
        spent = _spent(session, budget_id)
        with pytest.raises(AppError) as exc:
            aftersales.approve(session, bought.owner, case_id)
        assert exc.value.code == "AFTERSALES_INVALID_STATE"
        session.rollback()
        with pytest.raises(AppError) as exc:
            open_case(
                session,
                bought,
                CaseKind.REFUND_ONLY,
                CaseReason.QUALITY,
                amount_fen=18001,
                evidence_ids=[photo(session, app.state.storage, bought.buyer)],
            )
        assert exc.value.code == "AFTERSALES_AMOUNT_TOO_HIGH"
        session.rollback()
    assert _spent(session, budget_id) == spent == 2000
    # Never more than the order holds, whatever a caller asks.
    assert promotions.release_budget_share(session, bought.order_id, 99_999, "probe") == 2000
    session.commit()
    assert _spent(session, budget_id) == 0
    assert promotions.release_budget_share(session, bought.order_id, 99_999, "probe-2") == 0
    session.commit()
    assert _spent(session, budget_id) == 0


def test_platform_coupon_budget_and_the_coupon_come_back(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    coupon = platform_coupon(session, threshold_fen=5000, cut_fen=3000, budget_fen=10_000)
    wallet = claim(session, buyer.principal, coupon.id)
    assert coupon.budget_id is not None
    from tests.factories.orders import checkout_body, key

    body = checkout_body(buyer, (sale, 2)).model_copy(update={"coupon_ids": [wallet.id]})
    placed = orders.checkout(session, buyer.principal, body, key())
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    session.commit()
    from laotie.payments.schemas import IntentOut
    from tests.factories.catalog import owner_principal
    from tests.factories.payments import confirm, deliver

    assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    bought = Bought(buyer, sale, placed.orders[0].id, owner_principal(session, sale.shop_id), 2)
    completed(session, bought)
    assert _spent(session, coupon.budget_id) == 3000
    with clock.travel(timedelta(days=4)):
        _refund(session, app, bought, 8500)  # half of 17 000
        assert _spent(session, coupon.budget_id) == 1500 == _booked_subsidy(session, bought.order_id)
        assert session.get(BuyerCoupon, wallet.id).status == "used"  # type: ignore[union-attr]
        _refund(session, app, bought, 8500)
    assert _spent(session, coupon.budget_id) == 0
    session.expire_all()
    assert session.get(BuyerCoupon, wallet.id).status == "available"  # type: ignore[union-attr]


def test_racing_partial_refunds_give_back_exactly_what_the_ledger_reversed(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    """Three cases of one order approved at the same moment (on PostgreSQL the threads overlap):
    two fit in what was paid, the third is refused, and the budget ends exactly where the ledger's
    SUBSIDY_EXPENSE for the order does."""

    from tests.integration.aftersales.test_refund_concurrency import _twin

    bought, budget_id = _subsidised(client, app, db, session)
    completed(session, bought)
    with clock.travel(timedelta(days=4)):
        case = open_case(
            session,
            bought,
            CaseKind.REFUND_ONLY,
            CaseReason.QUALITY,
            amount_fen=10000,
            evidence_ids=[photo(session, app.state.storage, bought.buyer)],
        )
        ids = [case.id, _twin(session, case.id, 1), _twin(session, case.id, 2)]
        session.rollback()
        approvals = [lambda s, c=c: aftersales.approve(s, bought.owner, c) for c in ids]
        outcomes = race(db, approvals, ok="refunded")
    assert sorted(outcomes) == ["REFUND_EXCEEDS_PAYABLE", "refunded", "refunded"], outcomes
    assert _spent(session, budget_id) == _booked_subsidy(session, bought.order_id) == 3000 - 2 * 1111
    releases = session.scalars(select(BudgetRelease).where(BudgetRelease.order_id == bought.order_id)).all()
    assert len(releases) == 2

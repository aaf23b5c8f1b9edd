"""纠纷判责: either party escalates; staff see both sides' evidence and the order's trail; each
decision executes itself and is announced with the party at fault."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.aftersales.schemas import Decision, DecisionIn, FaultParty, ShipBackIn
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.orders import service as orders
from tests.factories.aftersales import delivered, open_case, paid_order, photo, psp_cash
from tests.factories.catalog import image_bytes
from tests.factories.payments import events
from tests.factories.shops import make_reviewer


def _disputed(
    client: TestClient, app: FastAPI, db: Database, session: Session, kind: CaseKind = CaseKind.RETURN
):  # type: ignore[no-untyped-def]
    bought = paid_order(client, app, db, session, price_fen=10000)
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        case = open_case(
            session,
            bought,
            kind,
            CaseReason.QUALITY,
            evidence_ids=[photo(session, app.state.storage, bought.buyer)],
        )
        aftersales.upload_evidence(
            session, app.state.storage, bought.owner, image_bytes(), "出厂检验合格", case.id
        )
        aftersales.reject(session, bought.owner, case.id, "非质量问题")
        aftersales.escalate(session, bought.buyer.principal, case.id, "有照片为证")
        session.commit()
    return bought, case


def test_staff_see_both_sides_and_decide_a_partial_refund(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought, case = _disputed(client, app, db, session, CaseKind.REFUND_ONLY)
    staff, _ = make_reviewer(session)
    view = aftersales.dispute_view(session, case.id)
    assert {e.party for e in view.case.evidence} == {"buyer", "merchant"}
    assert [e.kind for e in view.case.events] == ["opened", "evidence", "rejected", "escalated"]
    assert {"placed", "paid", "shipped", "delivered", "aftersales_disputed"} <= {
        t.kind for t in view.order_trail
    }
    with pytest.raises(AppError) as caught:  # more than the case asked for
        aftersales.decide(
            session, staff, case.id, DecisionIn(decision=Decision.PARTIAL_REFUND, amount_fen=10001)
        )
    assert caught.value.code == "AFTERSALES_AMOUNT_TOO_HIGH"
    session.rollback()
    cash = psp_cash(session)
    out = aftersales.decide(
        session,
        staff,
        case.id,
        DecisionIn(
            decision=Decision.PARTIAL_REFUND,
            amount_fen=4000,
            fault_party=FaultParty.MERCHANT,
            note="部分瑕疵",
        ),
    )
    session.commit()
    assert out.status == "refunded" and out.refunded_fen == 4000 and out.decision == "partial_refund"
    assert psp_cash(session) == cash - 4000
    decided = events(db, "DisputeDecided")
    assert decided == [
        {
            "case_id": case.id,
            "order_id": bought.order_id,
            "shop_id": bought.sale.shop_id,
            "buyer_id": bought.buyer.user_id,
            "kind": "refund_only",
            "decision": "partial_refund",
            "fault_party": "merchant",
            "amount_fen": 4000,
            "decided_by": staff.user_id,
        }
    ]
    with pytest.raises(AppError) as caught:  # decided once
        aftersales.decide(session, staff, case.id, DecisionIn(decision=Decision.REFUND))
    assert caught.value.code == "AFTERSALES_INVALID_STATE"
    session.rollback()
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 4000


def test_decision_return_reopens_the_return_flow_and_reject_closes(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought, case = _disputed(client, app, db, session)
    staff, _ = make_reviewer(session)
    out = aftersales.decide(
        session, staff, case.id, DecisionIn(decision=Decision.RETURN, fault_party=FaultParty.MERCHANT)
    )
    session.commit()
    assert out.status == "approved"
    with clock.travel(timedelta(days=4)):
        aftersales.ship_back(
            session,
            bought.buyer.principal,
            case.id,
            ShipBackIn(carrier="顺丰速运", tracking_no="SF0001", shipping_fen=1800),
        )
        aftersales.receive(session, bought.owner, case.id)
        done = aftersales.refund_received(session, bought.owner, case.id)
        session.commit()
    assert done.refunded_fen == 10000 and done.shipping_comp_fen == 1800  # quality: merchant pays shipping
    _, rejected = _disputed(client, app, db, session)
    cash = psp_cash(session)
    closed = aftersales.decide(
        session, staff, rejected.id, DecisionIn(decision=Decision.REJECT, fault_party=FaultParty.BUYER)
    )
    session.commit()
    assert closed.status == "closed" and closed.fault_party == "buyer"
    assert psp_cash(session) == cash
    assert [e["decision"] for e in events(db, "DisputeDecided")] == ["return", "reject"]

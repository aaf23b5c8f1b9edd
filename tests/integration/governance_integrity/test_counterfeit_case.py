"""A counterfeit case decided against a shop starts the procedure by itself (``governance.case_decided``),
in the name of the staff member who decided it; starting it again from the case is refused; a
dismissed case starts nothing; a failed mystery-buyer sample opens a case under CTF-05."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.governance import cases, counterfeit, inspections, rules
from laotie.governance.counterfeit_refund import drive
from laotie.governance.models import CaseStatus
from laotie.governance.models_integrity import CounterfeitRun
from laotie.governance.schemas import CaseDecideIn
from tests.factories.orders import make_buyer, make_on_sale
from tests.integration.governance_integrity.factories import fake_seller, order_state


def _case(session: Session, shop_id: int, product_id: int) -> int:
    rules.seed_rules(session)
    case = cases.open_case(
        session,
        source="staff",
        subject_kind="product",
        subject_id=product_id,
        shop_id=shop_id,
        rule_code="CTF-01",
        summary="品牌方投诉：假冒商品",
        evidence=["品牌方鉴定报告"],
    )
    session.commit()
    return case.id


def test_a_decided_counterfeit_case_starts_the_procedure(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=2, price_fen=3000)
    case_id = _case(session, seller.sale.shop_id, seller.sale.product_id)
    cases.decide(session, seller.staff.user_id, case_id, CaseDecideIn(violation=True, note="鉴定为假"))
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    [run] = counterfeit.list_runs(session)
    assert (run.case_id, run.started_by, run.product_ids) == (
        case_id,
        seller.staff.user_id,
        [seller.sale.product_id],
    )
    with pytest.raises(AppError) as again:
        counterfeit.start_from_case(session, seller.staff, case_id)
    assert again.value.code == "COUNTERFEIT_RUN_EXISTS"
    session.rollback()
    drive(db, run.id)
    session.rollback()
    assert all(order_state(session, b.order_id)[0] == "closed" for b in seller.bought)


def test_a_dismissed_case_starts_nothing(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    case_id = _case(session, sale.shop_id, sale.product_id)
    staff = fake_seller(client, app, db, session, orders_count=1).staff
    cases.decide(session, staff.user_id, case_id, CaseDecideIn(violation=False, note="正品"))
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CounterfeitRun)) == 0
    with pytest.raises(AppError) as refused:
        counterfeit.start_from_case(session, staff, case_id)
    assert refused.value.code == "COUNTERFEIT_CASE_NOT_DECIDED" and refused.value.status == 409


def test_a_failed_sample_opens_a_case(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, stock=5)
    staff = fake_seller(client, app, db, session, orders_count=1).staff
    inspector = make_buyer(session)
    rules.seed_rules(session)
    plan = inspections.create_plan(
        session,
        staff,
        inspections.PlanIn(
            name="抽检",
            target_kind="shop",
            target_ids=[sale.shop_id],
            sample_size=1,
            inspector_id=inspector.user_id,
        ),
    )
    [sample] = inspections.sample(session, staff, plan.id)
    failed = inspections.enter_result(
        session,
        staff,
        int(sample.order_id or 0),
        inspections.ResultIn(passed=False, lab_name="质检院", report="材质不符"),
    )
    session.commit()
    assert failed.case_id is not None
    case = cases.load_case(session, failed.case_id)
    assert (case.rule_code, case.source, case.shop_id, case.status) == (
        "CTF-05",
        "inspection",
        sale.shop_id,
        CaseStatus.OPEN,
    )

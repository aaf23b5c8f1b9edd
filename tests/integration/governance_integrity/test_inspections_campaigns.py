"""神秘买家: a plan samples a shop's listed goods, the samples are ordered as an ordinary buyer (the
merchant's order shows nothing else), staff enter lab results, pass rates per category; a result for
an order no inspection placed is refused. 雷霆计划: a campaign and its dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.governance import campaigns, counterfeit, inspections, rules
from laotie.governance.counterfeit_refund import drive
from laotie.governance.models_integrity import Inspection, InspectionStatus
from laotie.orders import service as orders
from tests.factories.access import fresh_headers
from tests.factories.catalog import make_listed_product, owner_principal, reviewer_principal
from tests.factories.orders import make_buyer, make_on_sale
from tests.integration.governance_integrity.factories import fake_seller


def test_mystery_buyer_samples_and_lab_results(session: Session) -> None:
    sale = make_on_sale(session, stock=10)
    make_listed_product(session, sale.shop_id, stock=10)
    session.commit()
    inspector, staff = make_buyer(session), reviewer_principal(session)
    rules.seed_rules(session)  # a failed sample opens a case under CTF-05
    plan = inspections.create_plan(
        session,
        staff,
        inspections.PlanIn(
            name="12月美妆抽检",
            target_kind="shop",
            target_ids=[sale.shop_id],
            sample_size=2,
            inspector_id=inspector.user_id,
        ),
    )
    placed = inspections.sample(session, staff, plan.id, seed=1)
    session.commit()
    assert len(placed) == 2 and all(p.status == InspectionStatus.ORDERED for p in placed)
    # To the merchant the sample is an ordinary order from an ordinary buyer.
    owner = owner_principal(session, sale.shop_id)
    seen = orders.shop_order(session, owner, sale.shop_id, int(placed[0].order_id or 0))
    assert seen.buyer_id == inspector.user_id and seen.status == "pending_payment"
    first, second = placed
    ok = inspections.enter_result(
        session,
        staff,
        int(first.order_id or 0),
        inspections.ResultIn(passed=True, lab_name="国检中心", report="合格"),
    )
    bad = inspections.enter_result(
        session,
        staff,
        int(second.order_id or 0),
        inspections.ResultIn(passed=False, lab_name="国检中心", report="甲醛超标 3 倍"),
    )
    session.commit()
    assert (ok.status, bad.status) == (InspectionStatus.PASSED, InspectionStatus.FAILED)
    [rate] = inspections.pass_rates(session)
    assert (rate.inspected, rate.passed, rate.pass_rate) == (2, 1, 50.0)
    with pytest.raises(AppError) as again:
        inspections.enter_result(
            session,
            staff,
            int(first.order_id or 0),
            inspections.ResultIn(passed=False, lab_name="x", report="y"),
        )
    assert again.value.code == "INSPECTION_DECIDED"


def test_lab_result_for_an_unknown_order_is_refused(client: TestClient, session: Session) -> None:
    staff = reviewer_principal(session)
    headers = fresh_headers(session, staff.user_id, (Role.GOVERNANCE,))()
    body = {"passed": False, "lab_name": "国检中心", "report": "不合格"}
    missing = client.post("/api/v1/governance/inspections/by-order/123456/result", json=body, headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "INSPECTION_NOT_FOUND"
    huge = client.post(
        f"/api/v1/governance/inspections/by-order/{2**63 - 1}/result", json=body, headers=headers
    )
    assert huge.status_code in (404, 422)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_crackdown_dashboard_counts_its_counterfeit_refunds(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=2, price_fen=4000)
    category_id = orders.refundable_order(session, seller.bought[0].order_id).lines[0].category_id
    now = clock.now()
    drive_out = campaigns.create(
        session,
        seller.staff,
        campaigns.CampaignIn(
            name="雷霆计划·打假",
            category_ids=[category_id],
            violation_kinds=["counterfeit"],
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
        ),
    )
    session.commit()
    assert drive_out.status == campaigns.CampaignPhase.ACTIVE
    assert campaigns.active_campaign_for(session, category_id, "counterfeit") == drive_out.id
    run = counterfeit.start(
        session,
        seller.staff,
        shop_id=seller.sale.shop_id,
        product_ids=[seller.sale.product_id],
        reason="专项打假",
        campaign_id=drive_out.id,
    )
    session.commit()
    drive(db, run.id)
    session.rollback()
    board = campaigns.dashboard(session, drive_out.id)
    assert (board.orders_refunded, board.money_refunded_fen) == (2, 8000)
    assert board.compensation_fen == 3 * 8000 and board.products_delisted == 1
    assert [c.category_id for c in board.categories] == [category_id]
    with pytest.raises(AppError) as bad:
        campaigns.create(
            session,
            seller.staff,
            campaigns.CampaignIn(
                name="反了",
                category_ids=[category_id],
                violation_kinds=["counterfeit"],
                starts_at=now,
                ends_at=now - timedelta(days=1),
            ),
        )
    assert bad.value.code == "CRACKDOWN_BAD_WINDOW"

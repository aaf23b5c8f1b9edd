"""The demo seeds a counterfeit procedure part-way refunded inside a crackdown with its dashboard,
and an inspection with a passed and a failed sample; seeding again changes nothing; books balance."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.governance import campaigns, counterfeit, inspections
from laotie.governance.models_integrity import CounterfeitRun, CounterfeitRunStatus
from laotie.sim.demo import seed_demo

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def test_demo_has_a_counterfeit_run_part_way_and_a_crackdown(
    db: Database, session: Session, tmp_path: Path
) -> None:
    seed_demo(db.url, shops=4, products=12, console=Console(record=True, width=120), media_dir=tmp_path)
    [run] = counterfeit.list_runs(session)
    # The demo's dozen orders, and whatever else the demo's buyers ordered of it (open or recent).
    assert run.status == CounterfeitRunStatus.RUNNING and run.total_orders >= 12
    assert run.refunded_orders + run.skipped_orders == 5 and run.pending_orders == run.total_orders - 5
    assert run.campaign_id is not None
    board = campaigns.dashboard(session, run.campaign_id)
    assert board.orders_refunded == run.refunded_orders and board.money_refunded_fen == run.refunded_fen > 0
    assert board.inspections == 2 and board.inspections_failed == 1 and board.cases >= 1
    rates = inspections.pass_rates(session)
    assert (sum(r.inspected for r in rates), sum(r.passed for r in rates)) == (2, 1)
    session.rollback()
    seed_demo(db.url, shops=4, products=12, console=Console(record=True, width=120), media_dir=tmp_path)
    assert session.scalar(select(func.count()).select_from(CounterfeitRun)) == 1

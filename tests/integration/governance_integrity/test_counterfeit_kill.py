"""Killing the bulk refund mid-batch (SIGKILL, inside an open transaction after some orders of the
batch were refunded and before it commits) and starting it again refunds every order exactly once:
one counterfeit case, one PSP refund and one compensation per order, the books exact (conftest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.governance import counterfeit
from laotie.governance.counterfeit_refund import drive
from laotie.governance.models_integrity import CounterfeitItem, CounterfeitItemStatus, CounterfeitRunStatus
from tests.integration.governance_integrity.factories import (
    counterfeit_cases,
    fake_seller,
    order_state,
    payment_refunds,
)

# Refunds batches of 2. The first batch (a paid and a shipped order) goes through the bulk path and
# commits; the second holds the completed order (refunded on its own: the pro-rata reversal) and a
# paid one (bulk): when its PSP refunds have been made and booked, uncommitted, it says so and waits
# to be killed.
REFUNDER = """
import pathlib, sys, time
from laotie import bootstrap
from laotie.core.db import Database
from laotie.governance.counterfeit_refund import drive
from laotie.payments import service as payments

bootstrap.wire()
db = Database(sys.argv[1])
marker = pathlib.Path(sys.argv[3])
real = payments.refund_many
calls = []

def dying(*args, **kwargs):
    out = real(*args, **kwargs)
    calls.append(out)
    if len(calls) == 2:
        marker.write_text("mid-batch")
        time.sleep(120)
    return out

payments.refund_many = dying
drive(db, int(sys.argv[2]), batch=2)
"""


def test_killed_mid_batch_then_restarted_refunds_each_order_once(
    client: TestClient, app: FastAPI, db: Database, session: Session, tmp_path: Path
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=5, price_fen=3000)
    out = counterfeit.start(
        session,
        seller.staff,
        shop_id=seller.sale.shop_id,
        product_ids=[seller.sale.product_id],
        reason="售假",
        case_id=4242,
    )
    session.commit()
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", REFUNDER, db.url, str(out.id), str(marker)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the refunder exited before the kill point"
            assert time.monotonic() < deadline, "the refunder never reached the kill point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    session.rollback()
    # The first batch (2 orders) committed; the killed one left nothing behind.
    statuses = dict(
        session.execute(select(CounterfeitItem.status, func.count()).group_by(CounterfeitItem.status)).all()
    )
    assert statuses == {CounterfeitItemStatus.REFUNDED: 2, CounterfeitItemStatus.PENDING: 3}
    assert payment_refunds(session) == 2
    assert counterfeit.get_run(session, out.id).refunded_orders == 2
    session.rollback()
    drive(db, out.id, batch=2)  # the restart
    session.rollback()
    report = counterfeit.get_run(session, out.id)
    assert (report.status, report.refunded_orders, report.refunded_fen) == (
        CounterfeitRunStatus.DONE,
        5,
        5 * 3000,
    )
    assert payment_refunds(session) == 5
    for b in seller.bought:
        assert counterfeit_cases(session, b.order_id) == 1
        assert order_state(session, b.order_id) == ("closed", 3000, 3000)

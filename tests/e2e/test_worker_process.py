"""The API without its embedded worker, and `laotie worker` beside it: the periodic jobs run in the
worker (an unpaid order past its window is cancelled, a completed order past the return window settles)
and not in the API process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from laotie.app import create_app
from laotie.core import clock
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.orders.models import Order
from laotie.settings import get_settings
from tests.e2e.harness import ROOT, Site, wait_until
from tests.factories.aftersales import completed, paid_order
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale


def _prepare(site: Site) -> tuple[int, int]:
    """A completed order whose return window has passed, and an unpaid one whose window has."""
    db = site.database()
    app = create_app(get_settings(), db)
    try:
        with TestClient(app) as client, unit_of_work(db) as session:
            bought = paid_order(client, app, db, session)
            completed(session, bought)
            buyer = make_buyer(session)
            unpaid = orders.checkout(
                session, buyer.principal, checkout_body(buyer, (make_on_sale(session), 1)), key()
            )
            session.commit()
            long_ago = clock.now() - timedelta(days=30)
            session.execute(
                update(Order)
                .where(Order.id == bought.order_id)
                .values(delivered_at=long_ago, completed_at=long_ago)
            )
            session.execute(
                update(Order)
                .where(Order.id == unpaid.orders[0].id)
                .values(expires_at=clock.now() - timedelta(minutes=1))
            )
            session.commit()
            return bought.order_id, unpaid.orders[0].id
    finally:
        db.dispose()


def _state(site: Site, order_id: int) -> tuple[str, bool]:
    db = site.database()
    try:
        with unit_of_work(db) as session:
            status, settled_at = session.execute(
                select(Order.status, Order.settled_at).where(Order.id == order_id)
            ).one()
            return str(status.value), settled_at is not None
    finally:
        db.dispose()


@pytest.fixture
def worker_process(tmp_path: Path) -> Iterator[Callable[[Site], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(site: Site) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "LAOTIE_DATABASE_URL": site.url,
            "LAOTIE_MEDIA_DIR": str(site.media),
            "LAOTIE_SANDBOX_WEBHOOK_DELIVERY": "false",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        }
        log = (site.home / "worker.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", "from laotie.cli import app; app()", "worker"],
            env=env,
            cwd=site.home,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_worker_runs_the_periodic_jobs_the_api_leaves_off(
    fresh_site: Callable[[str], Site],
    serve: Callable[..., str],
    worker_process: Callable[[Site], subprocess.Popen[bytes]],
) -> None:
    site = fresh_site("worker")
    due, unpaid = _prepare(site)
    serve(site, env={"LAOTIE_EMBEDDED_WORKER": "false"})
    time.sleep(3)  # the API process alone leaves both as they are: its job thread is off
    assert _state(site, unpaid) == ("pending_payment", False)
    assert _state(site, due) == ("completed", False)

    worker = worker_process(site)
    wait_until(
        lambda: _state(site, unpaid)[0] == "cancelled" or worker.poll() is not None,
        60,
        "the unpaid order to cancel",
    )
    wait_until(lambda: _state(site, due)[1] or worker.poll() is not None, 60, "the due order to settle")
    assert worker.poll() is None, (site.home / "worker.log").read_text(errors="replace")
    assert _state(site, unpaid) == ("cancelled", False)
    assert _state(site, due) == ("completed", True)

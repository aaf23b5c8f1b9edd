"""``laotie serve --workers 2`` on PostgreSQL: two API processes, each with its own placement batcher,
outbox worker, webhook sender and jobs, sell one SKU to a rush of concurrent buyers (and their
retries) exactly: the stock once, each key once, every retry answered as the first time; the
winners who pay are marked paid once and the books balance. On SQLite the command refuses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from laotie.cli import _migrate
from laotie.cli import app as cli
from laotie.core.db import Database
from laotie.core.idempotency import IdempotencyRecord
from laotie.core.install_secrets import random_secrets_env
from laotie.core.uow import unit_of_work
from laotie.ledger import service as ledger
from laotie.orders.models import Checkout, Order, OrderStatus
from laotie.settings import get_settings
from tests.conftest import BACKENDS, DB_PREFIX, POSTGRES_ADMIN_URL, postgres_url_for
from tests.e2e.harness import ROOT, free_port, wait_until
from tests.factories.orders import Buyer, OnSale, make_buyer, make_on_sale

STOCK = 30
BUYERS = 100
RETRIES = 25  # buyers who tap twice at once, with the same key
PAYING = 5


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("serve-workers")
    url = postgres_url_for(f"{DB_PREFIX}_serve_workers")
    _migrate(url)
    db = Database(url)
    with unit_of_work(db) as session:
        sale = make_on_sale(session, stock=STOCK, price_fen=990)
        buyers = [make_buyer(session) for _ in range(BUYERS)]
        session.commit()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **random_secrets_env(),
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(home / "media"),
        "LAOTIE_PUBLIC_URL": base,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    log = home / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "laotie.cli", "serve", "--port", str(port), "--workers", "2"]
        server = subprocess.Popen(command, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT)

    def healthy() -> bool:
        if server.poll() is not None:
            return True
        try:
            return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 60, "laotie serve --workers 2")
        assert server.poll() is None, log.read_text(errors="replace")
        wait_until(lambda: len(_children(server.pid)) >= 2, 30, "two worker processes")
        yield {"base": base, "db": db, "sale": sale, "buyers": buyers, "log": log, "pid": server.pid}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        db.dispose()
        _drop(url)


def _drop(url: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def _rush(base: str, calls: list[tuple[dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    """Every call at once, each on its own connection (so the kernel hands them to both processes)."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post("/api/v1/orders/buy-now", json=b, headers=h) for b, h in calls)
        )


def _buy(buyer: Buyer, sale: OnSale) -> tuple[dict[str, Any], dict[str, str]]:
    body = {
        "sku_id": sale.sku_id,
        "expected_unit_price_fen": sale.price_fen,
        "address_id": buyer.address_id,
        "attribution": {"channel": "live", "live_session_id": 1},
    }
    return body, {**buyer.headers, "Idempotency-Key": f"rush-{buyer.user_id}"}


async def _pay(base: str, headers: dict[str, str], checkout_id: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        pay_headers = {"Authorization": headers["Authorization"], "Idempotency-Key": f"pay-{checkout_id}"}
        intent = await client.post(f"/api/v1/checkouts/{checkout_id}/pay", headers=pay_headers)
        assert intent.status_code == 200, intent.text
        body = {"client_secret": intent.json()["client_secret"], "payment_method": "tok_ok"}
        confirmed = await client.post(intent.json()["next_action_url"], json=body)
        assert confirmed.status_code == 202, confirmed.text


@pytest.mark.skipif("postgres" not in BACKENDS, reason="several processes need PostgreSQL")
def test_two_processes_sell_the_stock_exactly_once(two_workers: dict[str, Any]) -> None:
    base, db, sale, buyers = (two_workers[k] for k in ("base", "db", "sale", "buyers"))
    calls = [_buy(b, sale) for b in buyers]

    answers = asyncio.run(_rush(base, calls + calls[:RETRIES]))

    # A retry is sent beside its first call, so either may reach the server first: the one taken
    # first is answered as the placement (201, or 409), the other as its replay (200 with the same
    # body, or the same 409).
    firsts = list(answers[:BUYERS])
    for i, retry in enumerate(answers[BUYERS:]):
        assert retry.json() == firsts[i].json()
        assert sorted((firsts[i].status_code, retry.status_code)) in ([200, 201], [409, 409])
        if retry.status_code == 201:
            firsts[i] = retry
    assert sorted(r.status_code for r in firsts) == [201] * STOCK + [409] * (BUYERS - STOCK)
    assert {r.json()["error"]["code"] for r in firsts if r.status_code == 409} == {"OUT_OF_STOCK"}
    with unit_of_work(db, read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == STOCK
        per_buyer = session.execute(select(Checkout.buyer_id, func.count()).group_by(Checkout.buyer_id)).all()
        assert len(per_buyer) == STOCK and all(n == 1 for _, n in per_buyer)
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == STOCK
        stock = session.scalar(text("SELECT stock FROM catalog_sku WHERE id = :id"), {"id": sale.sku_id})
        assert stock == 0
    placed = {r.json()["checkout_id"] for r in firsts if r.status_code == 201}
    assert len(placed) == STOCK

    # Winners pay; the webhooks and the outbox are worked by both processes, each event once.
    winners = [
        (b, r.json()["checkout_id"]) for b, r in zip(buyers, firsts, strict=True) if r.status_code == 201
    ]
    for buyer, checkout_id in winners[:PAYING]:
        asyncio.run(_pay(base, buyer.headers, checkout_id))

    def paid() -> int:
        with unit_of_work(db, read_only=True) as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Order).where(Order.status == OrderStatus.PAID)
                )
                or 0
            )

    wait_until(lambda: paid() >= PAYING, 45, "the paying winners' orders to be paid")
    assert paid() == PAYING
    with unit_of_work(db, read_only=True) as session:
        checked = ledger.check(session)
    assert checked.ok, checked.problems
    assert checked.transactions >= PAYING
    assert len(_children(two_workers["pid"])) >= 2  # both processes still up after the rush


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAOTIE_DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    assert not (tmp_path / "one.db").exists()  # refused before migrating anything

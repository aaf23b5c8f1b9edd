"""``laotie demo``'s past (``sim.history``): on a fresh database the simulator lives the days before
today, so the demo opens with paid orders stamped on those days; on a database with shops it does
nothing (a demo started again keeps its history)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.orders.models import Order
from laotie.sim.history import seed_history


def test_a_fresh_demo_gets_the_days_before_today(db: Database, tmp_path: Path) -> None:
    console = Console(record=True, width=160)
    metrics = seed_history(db.url, 3, tmp_path / "media", console, buyers=14, merchants=5)
    assert metrics is not None and metrics["orders"] > 0
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    with unit_of_work(db, read_only=True) as session:
        paid = session.execute(
            select(func.count(), func.min(Order.paid_at), func.max(Order.paid_at)).where(
                Order.paid_at.is_not(None)
            )
        ).one()
    assert paid[0] == metrics["orders"]
    first, last = (t if t.tzinfo else t.replace(tzinfo=today.tzinfo) for t in paid[1:])
    assert today - timedelta(days=3) <= first and last < today, "paid on the three days before today"
    assert any((tmp_path / "media").rglob("*.*")), "the shops' pictures are kept with the demo's media"
    assert "历史已生成" in console.export_text()
    assert seed_history(db.url, 3, tmp_path / "media", console, buyers=14, merchants=5) is None

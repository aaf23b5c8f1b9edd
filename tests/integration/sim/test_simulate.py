"""``laotie simulate`` on the real services: a small run on each database is the same run twice for
one seed (and a different one for another seed), the books balance after it (the ``db`` fixture
checks), and the command prints JSON and writes the HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations.registry import metadata
from laotie.orders.models import Channel, Order
from laotie.sim.market.run import Options, simulate

SMALL = Options(days=3, buyers=14, merchants=5, seed=7)


def _empty(db: Database) -> None:
    """Every table but the category tree, ids restarting, as a fresh database would be."""
    tables = [t for t in reversed(metadata.sorted_tables) if t.name != "categories_category"]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence WHERE name != 'categories_category'"))
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _comparable(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "speed"}  # wall time is the one thing that varies


def test_a_small_run_is_the_same_for_a_seed(db: Database) -> None:
    first = simulate(db, SMALL)
    with unit_of_work(db, read_only=True) as session:
        rows = session.execute(select(Order.channel, func.count()).group_by(Order.channel)).all()
        paid = session.scalar(select(func.count()).select_from(Order).where(Order.paid_at.is_not(None)))
    why = {k: first[k] for k in ("tally", "by_channel") if k in first}
    assert first["orders"] == paid and paid > 0, f"buyers bought through the real checkout and PSP: {why}"
    assert {str(c) for c, _ in rows} <= {str(Channel.SHELF), str(Channel.SEARCH), str(Channel.LIVE)}
    assert first["by_channel"]["shelf"]["visits"] > 0 and first["tally"]["feed_pages"] > 0
    assert 0.0 <= first["exposure_gini"] < 1.0
    _empty(db)
    again = simulate(db, SMALL)
    assert _comparable(again) == _comparable(first)
    _empty(db)
    other = simulate(db, Options(days=3, buyers=14, merchants=5, seed=8))
    assert _comparable(other) != _comparable(first)


def test_the_command_prints_json_and_writes_the_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--days",
            "2",
            "--buyers",
            "8",
            "--merchants",
            "3",
            "--seed",
            "3",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["policy"] == "laotie" and metrics["days"] == 2 and metrics["buyers"] == 8
    assert {"gmv_fen", "by_channel", "repurchase_rate", "quality_return_rate", "exposure_gini"} <= set(
        metrics
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "exposure Lorenz" in page
    assert json.loads((out / "metrics-laotie.json").read_text(encoding="utf-8"))["seed"] == 3


def test_an_unknown_policy_is_refused_before_anything_runs() -> None:
    result = CliRunner().invoke(app, ["simulate", "--policy", "cheapest", "--days", "1"])
    assert result.exit_code == 2 and "unknown policy cheapest" in result.output

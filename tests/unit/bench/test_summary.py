"""``make bench``'s summary (bench/bench_summary.py, bench/run_all.py) without running a benchmark:
ratios against the right ceiling, failed benchmarks and inexact books shown and failing the run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import run_all
from bench_summary import BenchResult, Books, Figure, exit_code, per_second, ratio, summary, table

LOAD = (1.5, 1.0, 0.5)


def test_ratio_is_the_share_of_the_ceiling_and_missing_when_either_is() -> None:
    assert ratio(300, 1200) == 0.25
    assert ratio(1, 3) == 0.333
    assert ratio(None, 100) is None and ratio(5, None) is None and ratio(5, 0) is None
    assert per_second(2.0) == 500.0
    with pytest.raises(ValueError):
        per_second(0)


def test_in_process_figures_use_the_ceiling_measured_before_them() -> None:
    http = Figure("shelf list", 400, "req/s", 2000, "health")
    local = Figure("review event", 50, "events/s", None)
    result = BenchResult("x", ["python", "bench/x.py"], LOAD, figures=[http, local], in_process_ceiling=5000)
    rows = result.row()["figures"]
    assert (rows[0]["ratio"], rows[0]["ceiling"], rows[0]["ceiling_name"]) == (0.2, 2000, "health")
    assert (rows[1]["ratio"], rows[1]["ceiling"], rows[1]["ceiling_name"]) == (0.01, 5000, "no-op tx")


def test_a_failed_benchmark_or_inexact_books_fail_the_run_and_show_in_the_table() -> None:
    good = BenchResult(
        "pricing", ["p"], LOAD, figures=[Figure("carts", 10, "carts/s", None)], in_process_ceiling=100
    )
    broken = BenchResult("shipping", ["s"], LOAD, status="failed", error="exit status 1, no JSON")
    oversold = BenchResult("flash_sale", ["f"], LOAD, figures=[Figure("placements", 1, "answers/s", 2)])
    oversold.books = Books(exact=False, checked="oversold 3")
    assert exit_code([good]) == 0
    assert exit_code([good, broken]) == 1 and exit_code([good, oversold]) == 1
    document = summary(
        [good, broken, oversold], command="python bench/run_all.py", wall_seconds=9.0, machine={}
    )
    assert document["ok"] is False
    by_name = {b["benchmark"]: b for b in document["benchmarks"]}
    assert by_name["shipping"]["status"] == "failed" and by_name["shipping"]["figures"] == []
    assert by_name["flash_sale"]["books"] == {"exact": False, "checked": "oversold 3"}
    assert by_name["pricing"]["load_average_before"] == [1.5, 1.0, 0.5]
    json.dumps(document)  # written as JSON as it is
    console = Console(width=200, record=True)
    console.print(table([good, broken, oversold], "t"))
    text = console.export_text()
    assert "FAILED: exit status 1, no JSON" in text and "NOT EXACT" in text and "0.1" in text


def test_the_extractors_read_what_the_benchmarks_write() -> None:
    flash = {
        "oversold": 0, "duplicates": 0, "stock_mismatch": 0, "orders_paid": 500, "orders_created": 500,
        "orders_per_s": 900.0, "noop_rps": 3000.0, "workdir": None, "completed_orders_per_s": 150.0,
        "paid_after_rush_s": 2.5, "pay_server_cpu_ms_per_order": 4.0, "workers": 2,
    }  # fmt: skip
    figures, books = run_all.flash_sale(flash)
    assert [f.against(None)["ratio"] for f in figures] == [0.3, 0.05]
    assert figures[1].name == "completed (paid) orders (2 workers)" and "2.5 s after" in figures[1].meaning
    assert books == Books(True, "oversold 0, duplicates 0, paid 500/500")
    flash["orders_paid"] = 499
    assert run_all.flash_sale(flash)[1] == Books(False, "oversold 0, duplicates 0, paid 499/500")
    catalog = {"results": [
        {"endpoint": "shelf list", "requests_per_s": 200.0, "errors": 0},
        {"endpoint": "product detail", "requests_per_s": 300.0, "errors": 0},
        {"endpoint": "health", "requests_per_s": 1000.0, "errors": 0},
    ]}  # fmt: skip
    assert [f.against(None)["ratio"] for f in run_all.catalog(catalog)[0]] == [0.2, 0.3]
    catalog["results"][0]["errors"] = 4
    with pytest.raises(ValueError, match="HTTP errors"):
        run_all.catalog(catalog)


def test_a_benchmark_that_exits_without_json_is_a_failed_row_not_the_end_of_the_run(tmp_path: Path) -> None:
    spec = run_all.Spec(
        "missing", "no_such_benchmark.py", [], run_all.moderate, in_process=False, timeout_s=60
    )
    result = run_all.run_one(spec, tmp_path)
    assert result.status == "failed" and "no JSON" in result.error
    assert len(result.load_before) == 3

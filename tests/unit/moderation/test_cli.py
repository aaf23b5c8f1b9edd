"""``laotie moderate``: one JSON line per input line, whatever the input, and exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LAOTIE = Path(sys.executable).with_name("laotie")


def _run(data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [str(LAOTIE)] if LAOTIE.exists() else [sys.executable, "-m", "laotie.cli"]
    return subprocess.run([*command, "moderate", *args], input=data, capture_output=True, timeout=120)


def test_one_object_per_line_even_for_bad_bytes_and_empty_lines() -> None:
    data = "加我薇信 abc123\n\n多少钱\r\n".encode() + b"\xff\xfe\xc3 broken\n" + "V领毛衣".encode()
    done = _run(data)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 5
    assert rows[0]["diversion"] and "contact_wechat" in rows[0]["reasons"] and rows[0]["spans"]
    assert rows[1] == {
        "diversion": False,
        "purchase_intent": False,
        "prohibited": False,
        "review_bribery": False,
        "blocked": False,
        "reasons": [],
        "spans": [],
    }
    assert rows[2]["purchase_intent"] and not rows[2]["diversion"]
    assert not rows[3]["diversion"]
    assert not rows[4]["diversion"]


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"\x00\x01\xff\n\xed\xa0\x80"])
def test_any_input_exits_zero(data: bytes) -> None:
    done = _run(data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(b"\n") == data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_table_output() -> None:
    done = _run("去某宝搜同款\n[/bold] 怎么买\n".encode(), "--no-json")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert "platform_redirect" in out and "intent_buy" in out and "[/bold]" in out

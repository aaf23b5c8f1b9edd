"""Money on pages: one helper per label, no float anywhere between fen and the screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from laotie.core.money import discount_label, parse_hundredths, percent_label, plain_hundredths, yuan_short

WEB = Path(__file__).resolve().parents[3] / "src" / "laotie" / "web"


@pytest.mark.parametrize(
    ("bp", "label"), [(1000, "9折"), (1500, "8.5折"), (1250, "8.75折"), (9000, "1折"), (100, "9.9折")]
)
def test_the_same_discount_prints_the_same_everywhere(bp: int, label: str) -> None:
    assert discount_label(bp) == label


def test_rates_and_short_yuan() -> None:
    assert [percent_label(b) for b in (1500, 1250, 5)] == ["15%", "12.5%", "0.05%"]
    assert [yuan_short(f) for f in (1000, 1205, 1250, 0)] == ["10", "12.05", "12.5", "0"]
    assert plain_hundredths(2000) == "20"


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("12.5", 1250),
        (" 7 ", 700),
        ("0.01", 1),
        ("19.99", 1999),
        ("", None),
        ("abc", None),
        ("-1", None),
        ("1e3", None),
        ("1.005", None),
        ("NaN", None),
        ("inf", None),
        ("1.", None),
    ],
)
def test_typed_amounts_parse_exactly(text: str, units: int | None) -> None:
    assert parse_hundredths(text) == units


FLOAT_MONEY = re.compile(r"float\(|toFixed\(|:\.\df|'%g'|'%\.\df|[^/]/ ?(100|1000)\b(?!\))")
# A line is about money or a rate when it names one (ratios such as a conversion rate may be floats).
MONEY_WORDS = re.compile(r"fen|_bp|yuan|price|rate|pct|折|¥")


def test_no_page_divides_money_into_a_float() -> None:
    found = []
    for path in sorted(WEB.rglob("*")):
        if path.suffix not in {".py", ".html", ".js"} or "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FLOAT_MONEY.search(line) and MONEY_WORDS.search(line) and "Math.floor(" not in line:
                found.append(f"{path.relative_to(WEB)}:{number}: {line.strip()}")
    assert found == []

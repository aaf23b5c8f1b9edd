from __future__ import annotations

import pytest

from laotie.core.errors import AppError
from laotie.web import forms


@pytest.mark.parametrize(
    ("raw", "fen"),
    [("59.90", 5990), ("59.9", 5990), ("59", 5900), ("¥1,299.00", 129900), (" 0.01 ", 1), ("￥8", 800)],
)
def test_yuan_becomes_exact_fen(raw: str, fen: int) -> None:
    assert forms.parse_yuan(raw, "价格") == fen


@pytest.mark.parametrize("raw", ["", "0", "0.00", "-1", "59.999", "1e3", "NaN", "abc", "12.3.4", "10000001"])
def test_bad_yuan_is_refused(raw: str) -> None:
    with pytest.raises(AppError) as caught:
        forms.parse_yuan(raw, "价格")
    assert caught.value.code == "FORM_PRICE_INVALID"
    assert "价格" in caught.value.message("zh")


def test_no_float_rounding_on_awkward_amounts() -> None:
    # 0.29 * 100 is 28.999999999999996 as a float; Decimal keeps it exact.
    assert forms.parse_yuan("0.29", "价格") == 29
    assert forms.parse_yuan("1.13", "价格") == 113


def test_skus_cover_every_combination_and_rows_override_defaults() -> None:
    form = {
        "attr_name_0": "颜色",
        "attr_values_0": "红，黑 红",
        "attr_name_1": "尺码",
        "attr_values_1": "M、L",
        "price": "10",
        "stock": "3",
        "sku_attrs_0": '{"尺码": "L", "颜色": "黑"}',
        "sku_price_0": "12.50",
        "sku_stock_0": "",
    }
    attributes = forms.attributes_from(form)
    assert attributes == [{"name": "颜色", "values": ["红", "黑"]}, {"name": "尺码", "values": ["M", "L"]}]
    skus = {
        tuple(s["attrs"].values()): (s["price_fen"], s["stock"]) for s in forms.skus_from(form, attributes)
    }
    assert skus == {
        ("红", "M"): (1000, 3),
        ("红", "L"): (1000, 3),
        ("黑", "M"): (1000, 3),
        ("黑", "L"): (1250, 3),
    }


def test_a_product_without_attributes_has_one_sku_and_needs_a_price() -> None:
    assert forms.skus_from({"price": "9.9"}, []) == [{"attrs": {}, "price_fen": 990, "stock": 0}]
    with pytest.raises(AppError) as caught:
        forms.skus_from({}, [])
    assert caught.value.code == "FORM_PRICE_MISSING"


def test_size_chart_text() -> None:
    assert forms.size_chart_from("尺码,胸围\nM,88\nL | 92\n") == {
        "columns": ["尺码", "胸围"],
        "rows": [["M", "88"], ["L", "92"]],
    }
    assert forms.size_chart_from("  ") is None

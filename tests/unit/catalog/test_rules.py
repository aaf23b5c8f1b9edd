"""The pure checks on a product's variants, prices and size chart."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from laotie.catalog import rules
from laotie.catalog.schemas import MAX_SKUS, AttributeIn, ProductUpdate, SizeChart, SkuIn
from laotie.core.errors import AppError

COLOUR_SIZE = [{"name": "颜色", "values": ["红", "黑"]}, {"name": "尺码", "values": ["M", "L"]}]


def _code(exc: pytest.ExceptionInfo[AppError]) -> str:
    return exc.value.code


def test_attrs_key_ignores_key_order() -> None:
    assert rules.attrs_key({"颜色": "红", "尺码": "M"}) == rules.attrs_key({"尺码": "M", "颜色": "红"})
    assert rules.attrs_key({"颜色": "红", "尺码": "M"}) != rules.attrs_key({"颜色": "红", "尺码": "L"})
    assert rules.attrs_key({}) == "{}"


def test_skus_must_take_one_declared_value_of_each_attribute() -> None:
    ok = rules.check_skus(COLOUR_SIZE, [SkuIn(attrs={"颜色": "红", "尺码": "M"}, price_fen=100, stock=1)])
    assert ok[0].attrs == {"颜色": "红", "尺码": "M"} and ok[0].original_price_fen == 100
    for attrs in ({"颜色": "红"}, {"颜色": "绿", "尺码": "M"}, {"颜色": "红", "尺码": "M", "材质": "棉"}, {}):
        with pytest.raises(AppError) as caught:
            rules.check_skus(COLOUR_SIZE, [SkuIn(attrs=attrs, price_fen=100, stock=1)])
        assert _code(caught) == "SKU_ATTRS_MISMATCH", attrs


def test_product_without_attributes_takes_one_sku_with_no_attrs() -> None:
    assert len(rules.check_skus([], [SkuIn(price_fen=100, stock=0)])) == 1
    with pytest.raises(AppError) as caught:
        rules.check_skus([], [SkuIn(price_fen=100, stock=0), SkuIn(price_fen=200, stock=0)])
    assert _code(caught) == "DUPLICATE_SKU"


def test_duplicate_attribute_sets_are_refused() -> None:
    skus = [
        SkuIn(attrs={"颜色": "红", "尺码": "M"}, price_fen=100, stock=1),
        SkuIn(attrs={"尺码": "M", "颜色": "红"}, price_fen=120, stock=1),
    ]
    with pytest.raises(AppError) as caught:
        rules.check_skus(COLOUR_SIZE, skus)
    assert _code(caught) == "DUPLICATE_SKU"


def test_original_price_may_not_undercut_the_price() -> None:
    with pytest.raises(AppError) as caught:
        rules.check_skus([], [SkuIn(price_fen=1000, original_price_fen=999, stock=1)])
    assert _code(caught) == "ORIGINAL_PRICE_TOO_LOW"
    assert (
        rules.check_skus([], [SkuIn(price_fen=1000, original_price_fen=1000, stock=1)])[0].original_price_fen
        == 1000
    )


@pytest.mark.parametrize("price", [0, -1, -9900])
def test_zero_and_negative_prices_are_refused(price: int) -> None:
    with pytest.raises(ValidationError):
        SkuIn(price_fen=price, stock=1)
    with pytest.raises(AppError) as caught:
        rules.check_price(price)
    assert _code(caught) == "INVALID_PRICE"


def test_negative_stock_is_refused() -> None:
    with pytest.raises(ValidationError):
        SkuIn(price_fen=100, stock=-1)
    with pytest.raises(AppError) as caught:
        rules.check_stock(-1)
    assert _code(caught) == "INVALID_STOCK"
    assert rules.check_stock(0) == 0


def test_sku_count_is_capped() -> None:
    values = [f"v{i}" for i in range(MAX_SKUS + 1)]
    attributes = [{"name": "款式", "values": values}]
    skus = [SkuIn(attrs={"款式": v}, price_fen=100, stock=1) for v in values]
    with pytest.raises(AppError) as caught:
        rules.check_skus(attributes, skus)
    assert _code(caught) == "TOO_MANY_SKUS"
    assert len(rules.check_skus(attributes, skus[:MAX_SKUS])) == MAX_SKUS


def test_attribute_names_and_values_must_be_unique_and_few() -> None:
    for bad in (
        [AttributeIn(name="颜色", values=["红"]), AttributeIn(name="颜色", values=["黑"])],
        [AttributeIn(name="颜色", values=["红", "红"])],
        [AttributeIn(name=f"a{i}", values=["x"]) for i in range(4)],
    ):
        with pytest.raises(AppError) as caught:
            rules.check_attributes(bad)
        assert _code(caught) == "INVALID_ATTRIBUTES"
    assert rules.check_attributes([AttributeIn(name=" 颜色 ", values=[" 红 "])]) == [
        {"name": "颜色", "values": ["红"]}
    ]


def test_size_chart_rows_match_the_header() -> None:
    assert rules.check_size_chart(None) is None
    chart = SizeChart(columns=["尺码", "胸围"], rows=[["M", "96"], ["L", "100"]])
    assert rules.check_size_chart(chart) == {"columns": ["尺码", "胸围"], "rows": [["M", "96"], ["L", "100"]]}
    with pytest.raises(AppError) as caught:
        rules.check_size_chart(SizeChart(columns=["尺码", "胸围"], rows=[["M"]]))
    assert _code(caught) == "INVALID_SIZE_CHART"


def test_changing_attributes_needs_the_skus_too() -> None:
    with pytest.raises(ValidationError):
        ProductUpdate(attributes=[AttributeIn(name="颜色", values=["红"])])
    assert ProductUpdate(title="新标题").model_fields_set == {"title"}

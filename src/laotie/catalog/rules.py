"""What makes a product's variants, prices and size chart valid; pure checks, no database.

Every check runs before anything is written, so refused input leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from laotie.catalog import errors
from laotie.catalog.schemas import (
    MAX_ATTRIBUTES,
    MAX_SKUS,
    MAX_STOCK,
    AttributeIn,
    SizeChart,
    SkuIn,
)
from laotie.core.money import MAX_PRICE_FEN


@dataclass(frozen=True)
class CheckedSku:
    key: str
    attrs: dict[str, str]
    price_fen: int
    original_price_fen: int
    stock: int
    sku_code: str | None


def attrs_key(attrs: dict[str, str]) -> str:
    """One spelling per attribute set whatever the order of the keys: {"尺码":"M","颜色":"红"}."""
    return json.dumps(dict(sorted(attrs.items())), ensure_ascii=False, separators=(",", ":"))


def check_price(price_fen: int) -> int:
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or not 0 < price_fen <= MAX_PRICE_FEN:
        raise errors.INVALID_PRICE(price_fen=price_fen)
    return price_fen


def check_original_price(price_fen: int, original_price_fen: int | None) -> int:
    if original_price_fen is None:
        return price_fen
    check_price(original_price_fen)
    if original_price_fen < price_fen:
        raise errors.ORIGINAL_PRICE_TOO_LOW(price_fen=price_fen, original_price_fen=original_price_fen)
    return original_price_fen


def check_stock(stock: int) -> int:
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        raise errors.INVALID_STOCK(limit=MAX_STOCK, stock=stock)
    return stock


def check_attributes(attributes: list[AttributeIn]) -> list[dict[str, Any]]:
    if len(attributes) > MAX_ATTRIBUTES:
        raise errors.INVALID_ATTRIBUTES(problem=f"最多{MAX_ATTRIBUTES}个规格 / at most {MAX_ATTRIBUTES}")
    names = [a.name for a in attributes]
    if len(set(names)) != len(names):
        raise errors.INVALID_ATTRIBUTES(problem="规格名称重复 / duplicate attribute name")
    for a in attributes:
        if len(set(a.values)) != len(a.values):
            raise errors.INVALID_ATTRIBUTES(problem=f"“{a.name}”的取值重复 / duplicate value in {a.name}")
    return [{"name": a.name, "values": list(a.values)} for a in attributes]


def check_skus(attributes: list[dict[str, Any]], skus: list[SkuIn]) -> list[CheckedSku]:
    """Each SKU takes exactly one declared value of every declared attribute; no two alike."""
    if len(skus) > MAX_SKUS:
        raise errors.TOO_MANY_SKUS(limit=MAX_SKUS, count=len(skus))
    allowed = {a["name"]: set(a["values"]) for a in attributes}
    checked: list[CheckedSku] = []
    seen: set[str] = set()
    for index, sku in enumerate(skus):
        if set(sku.attrs) != set(allowed) or any(v not in allowed[k] for k, v in sku.attrs.items()):
            raise errors.SKU_ATTRS_MISMATCH(index=index, attrs=sku.attrs)
        key = attrs_key(sku.attrs)
        if key in seen:
            raise errors.DUPLICATE_SKU(index=index, attrs=sku.attrs)
        seen.add(key)
        price = check_price(sku.price_fen)
        checked.append(
            CheckedSku(
                key=key,
                attrs=dict(sku.attrs),
                price_fen=price,
                original_price_fen=check_original_price(price, sku.original_price_fen),
                stock=check_stock(sku.stock),
                sku_code=sku.sku_code.strip() or None if sku.sku_code else None,
            )
        )
    return checked


def check_size_chart(chart: SizeChart | None) -> dict[str, Any] | None:
    if chart is None:
        return None
    width = len(chart.columns)
    if any(len(row) != width for row in chart.rows):
        raise errors.INVALID_SIZE_CHART()
    return {"columns": list(chart.columns), "rows": [list(r) for r in chart.rows]}

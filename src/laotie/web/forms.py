"""Reading browser forms into the domains' input schemas: money in yuan to fen, SKU rows, size charts.

Prices arrive as text such as ``59.90``; they are parsed with Decimal (never float) and refused
when they carry more than two decimals, so a fen is never rounded away silently.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from laotie.core.errors import AppError
from laotie.core.money import MAX_PRICE_FEN
from laotie.web import errors

_YUAN = re.compile(r"\d{1,9}(\.\d{1,2})?")
_SPLIT_VALUES = re.compile(r"[,，、;；\s]+")
_SPLIT_CELLS = re.compile(r"[\t,，|]+|\s{2,}")
MAX_ATTRIBUTES = 3
MAX_SKUS = 100
MAX_UPLOADS = 10

FIELD_LABELS = {
    "name": "店铺名称",
    "main_category_id": "主营类目",
    "entity_type": "主体类型",
    "legal_name": "主体名称",
    "licence_number": "营业执照号",
    "contact_phone": "联系电话",
    "description": "描述",
    "title": "商品标题",
    "category_id": "商品类目",
    "purchase_limit": "限购数量",
    "attributes": "商品规格",
    "skus": "规格价格",
    "price_fen": "价格",
    "original_price_fen": "划线价",
    "stock": "库存",
    "size_chart": "尺码表",
    "reason": "原因",
}


def parse_yuan(raw: str, field: str) -> int:
    """``"59.90"`` -> ``5990`` fen. Accepts a leading ¥ and thousands commas."""
    text = raw.strip().removeprefix("¥").removeprefix("￥").replace(",", "").strip()
    if not _YUAN.fullmatch(text):
        raise errors.FORM_PRICE_INVALID(field=field)
    fen = int(Decimal(text) * 100)
    if fen <= 0 or fen > MAX_PRICE_FEN:
        raise errors.FORM_PRICE_INVALID(field=field)
    return fen


def parse_int(raw: str, field: str, minimum: int = 0, maximum: int = 10_000_000) -> int:
    text = raw.strip()
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise errors.FORM_NUMBER_INVALID(field=field, minimum=minimum)
    return int(text)


def optional_int(raw: str, field: str, minimum: int = 1) -> int | None:
    return parse_int(raw, field, minimum) if raw.strip() else None


def split_values(raw: str) -> list[str]:
    """``"红, 黑、白"`` -> ``["红", "黑", "白"]``, duplicates dropped, order kept."""
    return list(dict.fromkeys(v for v in _SPLIT_VALUES.split(raw.strip()) if v))


def validation_message(exc: ValidationError) -> AppError:
    """A pydantic refusal as one Chinese sentence naming the fields."""
    names: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if not str(p).isdigit()]
        label = next((FIELD_LABELS[p] for p in reversed(loc) if p in FIELD_LABELS), "表单")
        if label not in names:
            names.append(label)
    return errors.FORM_FIELDS_INVALID(fields="、".join(names))


def sku_key(attrs: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(attrs.items())), ensure_ascii=False, separators=(",", ":"))


def attributes_from(form: Mapping[str, str]) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = []
    for i in range(MAX_ATTRIBUTES):
        name = form.get(f"attr_name_{i}", "").strip()
        values = split_values(form.get(f"attr_values_{i}", ""))
        if name and values:
            attributes.append({"name": name[:20], "values": values})
    return attributes


def skus_from(form: Mapping[str, str], attributes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One SKU per combination of attribute values. A row the merchant filled in (``sku_attrs_N``
    with its price and stock) wins; otherwise the form's default price and stock apply."""
    combos = [
        dict(zip([a["name"] for a in attributes], values, strict=True))
        for values in itertools.product(*[a["values"] for a in attributes])
    ]
    if len(combos) > MAX_SKUS:
        raise errors.FORM_TOO_MANY_SKUS(count=len(combos), limit=MAX_SKUS)
    rows: dict[str, tuple[str, str, str]] = {}
    for i in range(MAX_SKUS):
        raw_attrs = form.get(f"sku_attrs_{i}")
        if raw_attrs is None:
            continue
        try:
            attrs = json.loads(raw_attrs)
        except ValueError:
            continue
        if isinstance(attrs, dict):
            rows[sku_key({str(k): str(v) for k, v in attrs.items()})] = (
                form.get(f"sku_price_{i}", ""),
                form.get(f"sku_original_{i}", ""),
                form.get(f"sku_stock_{i}", ""),
            )
    default_price = form.get("price", "")
    default_original = form.get("original_price", "")
    default_stock = form.get("stock", "")
    skus: list[dict[str, Any]] = []
    for attrs in combos:
        label = " / ".join(attrs.values()) or "默认"
        price, original, stock = rows.get(sku_key(attrs), ("", "", ""))
        price = price.strip() or default_price.strip()
        if not price:
            raise errors.FORM_PRICE_MISSING(sku=label)
        original = original.strip() or default_original.strip()
        stock = stock.strip() or default_stock.strip() or "0"
        price_fen = parse_yuan(price, f"“{label}”的价格")
        sku: dict[str, Any] = {
            "attrs": attrs,
            "price_fen": price_fen,
            "stock": parse_int(stock, f"“{label}”的库存"),
        }
        if original:
            sku["original_price_fen"] = parse_yuan(original, f"“{label}”的划线价")
        skus.append(sku)
    return skus


def size_chart_from(raw: str) -> dict[str, list[Any]] | None:
    """First line: column names; each further line: one row. Cells split by tabs, commas or ``|``."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    table = [[c.strip() for c in _SPLIT_CELLS.split(line) if c.strip()] for line in lines]
    return {"columns": table[0], "rows": table[1:]}


async def read_form(request: Request) -> FormData:
    """The posted form, read once; sync routes take it as a dependency so their database work runs
    in the thread pool while the body is read asynchronously."""
    return await request.form(max_files=MAX_UPLOADS, max_fields=1000)


def fields(form: FormData) -> dict[str, str]:
    """The text fields of a form (uploads left out), first value of each."""
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in out:
            out[key] = value
    return out


def uploads(form: FormData, name: str) -> list[UploadFile]:
    """Files actually chosen under ``name`` (browsers send an empty part when none was)."""
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


def upload_bytes(upload: UploadFile, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough for the domain to refuse an oversized file without
    holding all of it in memory."""
    upload.file.seek(0)
    return upload.file.read(limit + 1)

"""Believable products for a leaf category: title, attributes, SKUs with prices in fen, description."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

from laotie.sim.names import LEAVES, ORIGIN_HINTS, ORIGINS, TITLE_WORDS, LeafSpec

# An attribute: its name, the (value, price multiplier) pairs it may take, how many values a product uses.
Choice = tuple[str, float]
Axis = tuple[str, tuple[Choice, ...], tuple[int, int]]

COLOURS: tuple[Choice, ...] = tuple(
    (c, 1.0) for c in ("黑色", "白色", "米白", "灰色", "藏青", "卡其", "酒红", "雾霾蓝", "豆沙粉", "军绿")
)
ADULT_SIZES: tuple[Choice, ...] = (("S", 1.0), ("M", 1.0), ("L", 1.0), ("XL", 1.0), ("2XL", 1.05))
SIZE_CHART_ROWS = {
    "S": ["S", "84", "62", "80-95"],
    "M": ["M", "88", "64", "95-110"],
    "L": ["L", "92", "66", "110-125"],
    "XL": ["XL", "96", "68", "125-140"],
    "2XL": ["2XL", "100", "70", "140-160"],
}


def _sizes(*values: str) -> tuple[Choice, ...]:
    return tuple((v, 1.0) for v in values)


def _steps(*pairs: tuple[str, float]) -> tuple[Choice, ...]:
    return tuple(pairs)


SCHEMES: dict[str, list[Axis]] = {
    "clothes": [("颜色", COLOURS, (2, 4)), ("尺码", ADULT_SIZES, (3, 5))],
    "kids": [("颜色", COLOURS[:6], (2, 3)), ("尺码", _sizes("90", "100", "110", "120", "130", "140"), (4, 6))],
    "socks": [("款式", _sizes("黑色", "白色", "混色"), (2, 3)), ("规格", _steps(("5双装", 1.0), ("10双装", 1.8)), (2, 2))],
    "shoes_w": [("颜色", COLOURS[:5], (2, 3)), ("尺码", _sizes("35", "36", "37", "38", "39", "40"), (4, 6))],
    "shoes_m": [("颜色", COLOURS[:5], (2, 3)), ("尺码", _sizes("39", "40", "41", "42", "43", "44"), (4, 6))],
    "kids_shoes": [("颜色", COLOURS[:4], (2, 3)), ("尺码", _sizes("24", "26", "28", "30", "32"), (4, 5))],
    "color": [("颜色", COLOURS, (2, 4))],
    "luggage": [("颜色", COLOURS[:5], (2, 3)), ("尺寸", _steps(("20英寸", 1.0), ("24英寸", 1.25), ("28英寸", 1.5)), (2, 3))],
    "volume": [("规格", _steps(("30ml", 1.0), ("50ml", 1.5), ("100ml", 2.6)), (2, 3))],
    "mask": [("规格", _steps(("5片装", 1.0), ("10片装", 1.8), ("20片装", 3.2)), (2, 3))],
    "lipstick": [("色号", _sizes("#01 正红", "#02 豆沙", "#03 枫叶红", "#04 奶茶色", "#05 烂番茄"), (3, 5))],
    "shade": [("色号", _sizes("象牙白", "自然色", "小麦色"), (2, 3))],
    "palette": [("色盘", _sizes("大地色", "蜜桃粉", "南瓜色", "烟熏灰"), (2, 4))],
    "pack": [("规格", _steps(("1件", 1.0), ("2件装", 1.85), ("3件装", 2.6)), (2, 3))],
    "fruit": [
        ("规格", _steps(("3斤装", 1.0), ("5斤装", 1.5), ("10斤装", 2.6)), (2, 3)),
        ("果径", _steps(("中果", 1.0), ("大果", 1.25)), (1, 2)),
    ],
    "cherry": [("规格", _steps(("2斤装 J级", 1.0), ("2斤装 JJ级", 1.3), ("5斤装 JJJ级", 3.2)), (2, 3))],
    "weight": [("规格", _steps(("250g", 1.0), ("500g", 1.9), ("1kg", 3.5)), (2, 3))],
    "rice": [("规格", _steps(("5kg", 1.0), ("10kg", 1.9)), (2, 2))],
    "oil": [("规格", _steps(("1.8L", 1.0), ("5L", 2.5)), (2, 2))],
    "tea": [("规格", _steps(("100g", 1.0), ("250g", 2.3), ("500g 礼盒", 4.5)), (2, 3))],
    "bedding": [("颜色", COLOURS[:6], (2, 4)), ("尺寸", _steps(("1.5m床", 1.0), ("1.8m床", 1.15)), (2, 2))],
    "quilt": [("规格", _steps(("150×200cm 4斤", 1.0), ("200×230cm 6斤", 1.4), ("220×240cm 8斤", 1.8)), (2, 3))],
    "pillow": [("规格", _steps(("单只", 1.0), ("一对", 1.8)), (2, 2))],
    "pan": [("尺寸", _steps(("30cm", 1.0), ("32cm", 1.1), ("34cm", 1.2)), (2, 3))],
    "cup": [("颜色", COLOURS[:6], (2, 4)), ("容量", _steps(("500ml", 1.0), ("750ml", 1.2)), (1, 2))],
    "storage": [("规格", _steps(("小号", 1.0), ("中号", 1.4), ("大号", 1.8)), (2, 3))],
    "tissue": [("规格", _steps(("12包", 1.0), ("24包", 1.85), ("36包", 2.6)), (2, 3))],
    "powerbank": [("颜色", COLOURS[:3], (1, 3)), ("容量", _steps(("10000mAh", 1.0), ("20000mAh", 1.45)), (2, 2))],
    "cable": [("接口", _sizes("Type-C", "苹果Lightning", "安卓Micro"), (2, 3)), ("长度", _steps(("1m", 1.0), ("2m", 1.3)), (2, 2))],
    "phone_case": [("适用机型", _sizes("iPhone 15", "iPhone 15 Pro", "华为Mate 60", "小米14", "OPPO Reno11"), (3, 5)), ("颜色", COLOURS[:4], (1, 3))],
    "rice_cooker": [("容量", _steps(("3L", 1.0), ("4L", 1.2), ("5L", 1.4)), (2, 3))],
    "fryer": [("颜色", COLOURS[:3], (1, 2)), ("容量", _steps(("5L", 1.0), ("7L", 1.3)), (2, 2))],
    "toy": [("款式", _steps(("基础款", 1.0), ("豪华款", 1.7)), (2, 2))],
    "plush": [("尺寸", _steps(("30cm", 1.0), ("50cm", 1.6), ("80cm", 2.5)), (2, 3))],
    "bottle": [("容量", _steps(("160ml", 1.0), ("240ml", 1.15), ("300ml", 1.3)), (2, 3))],
    "gold": [("克重", _steps(("约1g", 1.0), ("约2g", 1.95), ("约3g", 2.9)), (2, 3))],
    "ring": [("圈口", _sizes("54", "56", "58", "60"), (3, 4))],
    "pearl": [("尺寸", _steps(("7-8mm", 1.0), ("8-9mm", 1.5), ("9-10mm", 2.2)), (2, 3))],
    "beads": [("珠径", _steps(("8mm", 1.0), ("10mm", 1.3), ("12mm", 1.7)), (2, 3))],
    "tent": [("规格", _steps(("2人", 1.0), ("3-4人", 1.4), ("5-8人", 2.0)), (2, 3))],
    "rod": [("长度", _steps(("3.6米", 1.0), ("4.5米", 1.2), ("5.4米", 1.4)), (2, 3))],
    "book": [("版本", _steps(("单册", 1.0), ("全套", 3.0)), (2, 2))],
    "notebook": [("规格", _sizes("A5", "B5"), (2, 2)), ("数量", _steps(("3本", 1.0), ("5本", 1.6)), (2, 2))],
    "none": [],
}  # fmt: skip

FALLBACK = LeafSpec(("精选好物",), "none", 19, 199)
SELLING_POINTS = (
    "严选材质，做工扎实",
    "源头工厂直供，省去中间环节",
    "老铁们回购率很高的款",
    "直播间同款，主播亲测",
    "品控团队逐件检查",
    "细节处理到位，经得起对比",
)


@dataclass
class ProductPlan:
    short: str
    subtitle: str
    body: dict[str, Any]


def _yuan_fen(yuan: float) -> int:
    """A shelf price: whole yuan minus ten fen (59.90), never below one yuan."""
    return max(round(yuan) * 100 - 10, 100)


def _pick(rng: random.Random, choices: tuple[Choice, ...], span: tuple[int, int]) -> list[Choice]:
    count = min(rng.randint(*span), len(choices))
    start = rng.randint(0, len(choices) - count)
    # Sizes and steps read best in order, so take a run rather than a scatter.
    return list(choices[start : start + count])


def plan_product(rng: random.Random, leaf: str, top: str, serial: int) -> ProductPlan:
    spec = LEAVES.get(leaf, FALLBACK)
    short = rng.choice(spec.shorts) if leaf in LEAVES else leaf
    before, after = TITLE_WORDS.get(top, ((), ()))
    # Words already in the short name would read twice (儿童儿童运动套装).
    leads = [w for w in before if w not in short]
    tails_pool = [w for w in after if w not in short]
    lead = rng.choice(leads) if leads else ""
    tails = rng.sample(tails_pool, k=min(2, len(tails_pool)))
    origin = next((place for hint, place in ORIGIN_HINTS.items() if hint in short), rng.choice(ORIGINS))
    title = f"{lead}{short} {' '.join(tails)}".strip()[:60]

    axes = [(name, _pick(rng, choices, span)) for name, choices, span in SCHEMES.get(spec.scheme, [])]
    attributes = [{"name": name, "values": [v for v, _ in picked]} for name, picked in axes]
    base = rng.uniform(spec.low, spec.high)
    discounted = rng.random() < 0.65
    skus: list[dict[str, Any]] = []
    combos = itertools.product(*[picked for _, picked in axes]) if axes else [()]
    for combo in combos:
        factor = 1.0
        for _, mult in combo:
            factor *= mult
        price = _yuan_fen(base * factor)
        sku: dict[str, Any] = {
            "attrs": {name: value for (name, _), (value, _) in zip(axes, combo, strict=True)},
            "price_fen": price,
            "stock": 0 if rng.random() < 0.04 else rng.randint(20, 999),
            "sku_code": f"LT{serial:05d}{len(skus) + 1:03d}",
        }
        if discounted:
            sku["original_price_fen"] = round(price * rng.uniform(1.25, 1.8) / 100) * 100
        skus.append(sku)

    size_chart = None
    if spec.scheme == "clothes":
        sizes = next(values for name, values in axes if name == "尺码")
        size_chart = {
            "columns": ["尺码", "胸围(cm)", "衣长(cm)", "建议体重(斤)"],
            "rows": [SIZE_CHART_ROWS[s] for s, _ in sizes],
        }
    points = rng.sample(SELLING_POINTS, k=2)
    lines = [f"{short}，{points[0]}，{points[1]}。"]
    if top == "食品饮料":
        lines.append(f"【产地】{origin}，产地直发，新鲜到家。")
    # the fee is the shipping template's to say (the product page shows it): no 包邮 promised here
    lines.append("【发货】付款后48小时内发货，运费以商品页和下单页显示为准。")
    leaf_exempt = leaf in ("苹果", "柑橘", "猕猴桃", "车厘子")
    lines.append(
        "【售后】生鲜商品不支持七天无理由退货，坏果按比例包赔。"
        if leaf_exempt
        else "【售后】支持七天无理由退货，质量问题运费由商家承担。"
    )
    body: dict[str, Any] = {
        "title": title,
        "description": "\n".join(lines),
        "attributes": attributes,
        "skus": skus,
        "size_chart": size_chart,
        "purchase_limit": rng.choice([2, 3, 5]) if rng.random() < 0.15 else None,
    }
    subtitle = " · ".join(str(a["values"][0]) for a in attributes[:2]) or top
    return ProductPlan(short=short, subtitle=subtitle, body=body)

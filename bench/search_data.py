"""A generated catalogue whose truth is known, and a labelled query set graded against that truth.

Every product is made from parts the generator remembers: its *type* (a leaf category of the tree:
连衣裙, 充电宝 …), a short name for it as merchants write titles (from the demo's product vocabulary:
碎花连衣裙, 法式茶歇裙 …, which may not contain the type's word at all), and for goods that have
them a colour and a material. Titles mix these with selling words (显瘦, 百搭, 产地直发 …).

A query states an intent (a type, maybe a colour or material) in one of the ways buyers type:
Chinese, full pinyin, pinyin initials, traditional characters, a synonym, a homophone typo, or the
type with an attribute. Grades come from the truth, never from the engine:

- 3: the product is of the intended type and has every attribute asked for;
- 2: the intended type, an attribute differs;
- 1: another type of the same parent category (女装 for 连衣裙);
- 0: anything else.

``build_queries`` writes the set (with each query's intent and form) to ``bench/data/``; the
benchmark grades the engine's top ten against the truth with NDCG@10.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from laotie.sim.names import LEAVES, TITLE_WORDS  # noqa: E402

DATA = Path(__file__).parent / "data"
QUERIES_FILE = DATA / "search_queries.json"

COLOURS = ["黑色", "白色", "红色", "藏青", "卡其", "灰色", "粉色", "米白", "酒红", "军绿"]
MATERIALS = ["纯棉", "真丝", "羊毛", "雪纺", "冰丝", "亚麻", "牛仔", "针织"]
CLOTHES = {"clothes", "kids", "socks"}
COLOURED = CLOTHES | {"shoes_w", "shoes_m", "kids_shoes", "color", "luggage", "bedding", "cup"}
# Homophone typos buyers make (a character of the type swapped for one that sounds the same).
TYPOS = {
    "连衣裙": "连衣群",
    "卫衣": "卫依",
    "牛仔裤": "牛仔库",
    "羽绒服": "羽绒伏",
    "运动鞋": "运动谐",
    "保温杯": "保温背",
    "充电宝": "充电包",
    "毛衣": "毛依",
    "蓝牙耳机": "蓝牙耳鸡",
    "双肩包": "双肩苞",
    "行李箱": "行李厢",
    "四件套": "四件淘",
    "空气炸锅": "空气炸果",
    "吹风机": "吹风鸡",
    "洗发水": "洗发谁",
    "猕猴桃": "迷猴桃",
}
# Other words buyers use for a type (the engine's synonym list is its own; these overlap in part).
SYNONYMS = {
    "连衣裙": "裙子",
    "T恤": "短袖",
    "羽绒服": "羽绒衣",
    "运动鞋": "跑步鞋",
    "充电宝": "移动电源",
    "猕猴桃": "奇异果",
    "车厘子": "樱桃",
    "电饭煲": "电饭锅",
    "蓝牙耳机": "无线耳机",
    "纸巾": "抽纸",
    "保温杯": "保温壶",
    "毛衣": "针织衫",
    "行李箱": "拉杆箱",
    "手机壳": "保护壳",
}


@dataclass(frozen=True)
class Truth:
    type: str
    parent: str
    colour: str | None
    material: str | None


@dataclass(frozen=True)
class Made:
    title: str
    truth: Truth
    price_fen: int
    sales: int


@lru_cache(maxsize=1)
def parents() -> dict[str, str]:
    """Each leaf (type) -> its parent category's name, from the default tree."""
    from laotie.categories.tree import DEFAULT_TREE

    out: dict[str, str] = {}
    for top in DEFAULT_TREE:
        for mid in top.children:
            for leaf in mid.children:
                out.setdefault(leaf.name, mid.name)
    return out


@lru_cache(maxsize=1)
def tops() -> dict[str, str]:
    from laotie.categories.tree import DEFAULT_TREE

    out: dict[str, str] = {}
    for top in DEFAULT_TREE:
        for mid in top.children:
            for leaf in mid.children:
                out.setdefault(leaf.name, top.name)
    return out


def make_product(rng: random.Random, leaf: str, parent: str, top: str) -> Made:
    spec = LEAVES[leaf]
    short = rng.choice(spec.shorts)
    before, after = TITLE_WORDS.get(top, ((), ()))
    colour = rng.choice(COLOURS) if spec.scheme in COLOURED and rng.random() < 0.7 else None
    material = rng.choice(MATERIALS) if spec.scheme in CLOTHES and rng.random() < 0.6 else None
    parts = [rng.choice(before)] if before and rng.random() < 0.7 else []
    if material and material not in short:
        parts.append(material)
    if colour:
        parts.append(colour)
    parts.append(short)
    if after:
        parts += rng.sample(after, k=min(len(after), rng.randint(1, 2)))
    title = " ".join(parts)[:60]
    price = rng.randint(spec.low, spec.high) * 100 - rng.choice([1, 10, 100])
    sales = int(rng.paretovariate(1.2) * 10) - 10
    truth = Truth(type=leaf, parent=parent, colour=colour, material=material or _material_in(short))
    return Made(title=title, truth=truth, price_fen=max(price, 100), sales=max(sales, 0))


def _material_in(short: str) -> str | None:
    return next((m for m in MATERIALS if m in short), None)


def catalogue(count: int, seed: int = 20261206) -> list[Made]:
    rng = random.Random(seed)
    par, top = parents(), tops()
    leaves = [leaf for leaf in LEAVES if leaf in par]
    # Some types are far more common than others, as on a real shelf.
    weights = [1.0 / (1 + i % 7) for i in range(len(leaves))]
    return [
        make_product(rng, leaf, par[leaf], top[leaf])
        for leaf in rng.choices(leaves, weights=weights, k=count)
    ]


def grade(truth: Truth, intent: dict[str, Any]) -> int:
    if truth.type == intent["type"]:
        for key in ("colour", "material"):
            if intent.get(key) and getattr(truth, key) != intent[key]:
                return 2
        return 3
    return 1 if truth.parent == parents()[intent["type"]] else 0


def _pinyin(word: str, initials: bool = False) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(word, style=Style.FIRST_LETTER if initials else Style.NORMAL)).lower()


def _traditional(word: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(word)


def build_queries(count: int = 150, seed: int = 7) -> list[dict[str, Any]]:
    """Intents over the types, each written in one of the forms buyers use."""
    rng = random.Random(seed)
    par = parents()
    types = [leaf for leaf in LEAVES if leaf in par]
    queries: list[dict[str, Any]] = []
    forms = ["chinese", "pinyin", "initials", "traditional", "synonym", "typo", "colour", "material"]
    tries = 0
    while len(queries) < count:
        tries += 1
        form = forms[(len(queries) + tries // 40) % len(forms)]  # a form that has run out gives way
        leaf = rng.choice(types)
        intent: dict[str, Any] = {"type": leaf}
        if form == "chinese":
            q = leaf
        elif form == "pinyin":
            q = _pinyin(leaf)
        elif form == "initials":
            if len(leaf) < 2 or (not leaf.isascii() and len(leaf) > 4):
                continue
            q = _pinyin(leaf, initials=True)
        elif form == "traditional":
            q = _traditional(leaf)
            if q == leaf:
                continue
        elif form == "synonym":
            leaf = rng.choice(sorted(SYNONYMS))
            intent = {"type": leaf}
            q = SYNONYMS[leaf]
        elif form == "typo":
            leaf = rng.choice(sorted(TYPOS))
            intent = {"type": leaf}
            q = TYPOS[leaf]
        elif form == "colour":
            if LEAVES[leaf].scheme not in COLOURED:
                continue
            colour = rng.choice(COLOURS)
            intent["colour"] = colour
            q = f"{colour}{leaf}" if rng.random() < 0.5 else f"{colour} {leaf}"
        else:
            if LEAVES[leaf].scheme not in CLOTHES:
                continue
            material = rng.choice(MATERIALS)
            intent["material"] = material
            q = f"{material}{leaf}"
        if any(x["q"] == q for x in queries):
            continue
        queries.append({"q": q, "form": form, "intent": intent})
        tries = 0
    return queries


def write_queries(path: Path = QUERIES_FILE, count: int = 150) -> list[dict[str, Any]]:
    queries = build_queries(count)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "about": (
            "Labelled search queries for bench/search.py: each query's intent (type, colour, material) "
            "grades every product of the generated catalogue (bench/search_data.py) from its known truth: "
            "3 right type and attributes, 2 right type, 1 same parent category, 0 otherwise."
        ),
        "queries": queries,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return queries


def load_queries(path: Path = QUERIES_FILE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


if __name__ == "__main__":
    written = write_queries()
    print(f"{len(written)} queries written to {QUERIES_FILE}")

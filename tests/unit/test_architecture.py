"""House rule 1, enforced: imports flow one way and domains meet only through service modules."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "laotie"
# Lower domains first: a domain may use those listed before it, never those after.
LAYERS = [
    "ledger",
    "accounts",
    "moderation",
    "standing",
    "addresses",
    "categories",
    "shops",
    "catalog",
    "promotions",
    "logistics",
    "payments",
    "settlement",
    "social",
    "affiliate",
    "video",
    "orders",
    "aftersales",
    "reviews",
    "scores",
    "live",
    "governance",
    "search",
    "feed",
]
# What one domain may import from another: its service, and the schemas and errors it returns or raises.
PUBLIC_MODULES = {"service", "schemas", "errors"}
APP_LEVEL = {"app", "cli", "web", "sim", "migrations"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [n for n in names if n.startswith("laotie.")]


def _violations(root: Path = SRC) -> list[str]:
    found: list[str] = []
    for path in root.rglob("*.py"):
        part = path.relative_to(root).parts
        owner = part[0].removesuffix(".py")
        for name in _imports(path):
            target = name.split(".")
            if len(target) < 2:
                continue
            other = target[1]
            if owner == "core" and other != "core" and other != "settings":
                found.append(f"{path.relative_to(root)} (core) imports {name}")
            if owner in LAYERS and other in LAYERS and other != owner:
                if LAYERS.index(other) > LAYERS.index(owner):
                    found.append(f"{path.relative_to(root)} imports higher layer {name}")
                if len(target) > 2 and target[2] not in PUBLIC_MODULES:
                    found.append(f"{path.relative_to(root)} reaches into {name}")
            if owner in LAYERS and other in APP_LEVEL:
                found.append(f"{path.relative_to(root)} imports app-level {name}")
    return found


def test_imports_follow_the_house_rules() -> None:
    assert _violations() == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "probe.py").write_text(
        "from laotie.shops.models import Shop\n", encoding="utf-8"
    )
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "probe.py").write_text("from laotie.shops import service\n", encoding="utf-8")
    found = _violations(tmp_path)
    assert any("accounts/probe.py imports higher layer laotie.shops" in v for v in found)
    assert any("reaches into laotie.shops.models" in v for v in found)
    assert not any("catalog/probe.py" in v for v in found)

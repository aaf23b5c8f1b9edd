"""House rule 1, enforced: imports flow one way and domains meet only through service modules.

The gate reads every module's imports (relative ones resolved) and reports:
- a package under ``src/laotie`` that is neither a listed domain, ``core`` nor app level;
- a domain importing a higher domain, or reaching past another domain's public modules;
- a relative import that leaves its own domain;
- a wrong direction inside a domain (models importing service, anything but the router importing router);
- a private name taken from another domain (``from x.service import _y`` or ``service._y``);
- a module looked up by name at run time (``importlib.import_module``, ``__import__``);
- ``web/`` reaching into a domain's internals (only service, schemas and errors are open to pages).
It checks itself on a scratch tree holding one of each violation (the last tests).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
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
# Composition roots: they wire domains together and may reach anywhere (web is checked on its own).
APP_LEVEL = {"app", "bootstrap", "cli", "web", "sim", "migrations"}
# ``events`` holds every domain's typed outbox events; like core it imports no domain.
FOUNDATION = {"core", "events", "settings", "__init__"}
# What the foundation packages may import: no domain, no app level.
FOUNDATION_IMPORTS = {"core": {"core", "settings"}, "events": {"core", "events", "settings"}}
# Inside a domain: a module on the left must not import the modules on the right.
INNER_FORBIDDEN = {
    "models": {"service", "router", "tasks", "events"},
    "schemas": {"service", "router"},
    "errors": {"service", "router", "models"},
}


@dataclass(frozen=True)
class Imported:
    module: str  # absolute dotted module the name comes from
    names: tuple[str, ...]  # names taken from it (empty for ``import x``)
    relative: bool
    bound: tuple[str, ...] = ()  # the local names they are bound to


def _is_app_level(owner: str) -> bool:
    return owner in APP_LEVEL or owner.startswith("cli_")


def _package_of(path: Path, root: Path) -> list[str]:
    parts = ["laotie", *path.relative_to(root).with_suffix("").parts]
    return parts if path.name == "__init__.py" else parts[:-1]


def _imports(path: Path, root: Path) -> tuple[list[Imported], ast.Module]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Imported] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Imported(a.name, (), False) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(path, root)[: len(_package_of(path, root)) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = tuple(a.name for a in node.names)
            bound = tuple(a.asname or a.name for a in node.names)
            found.append(Imported(module, names, node.level > 0, bound))
    return found, tree


def _targets(imp: Imported) -> list[list[str]]:
    """Each dotted module an import reaches: ``from laotie.x import service`` reaches laotie.x.service."""
    base = imp.module.split(".")
    if not imp.names:
        return [base]
    if len(base) != 2:
        return [base]
    return [[*base, n] for n in imp.names]


def _service_aliases(imports: list[Imported], owner: str) -> set[str]:
    """Local names bound to another domain's service module, to spot ``service._private``."""
    names: set[str] = set()
    for imp in imports:
        parts = imp.module.split(".")
        if len(parts) == 2 and parts[0] == "laotie" and parts[1] != owner:
            names |= {local for name, local in zip(imp.names, imp.bound, strict=True) if name == "service"}
    return names


def _check_file(path: Path, root: Path) -> list[str]:
    rel = path.relative_to(root)
    owner = rel.parts[0].removesuffix(".py")
    here = rel.with_suffix("").parts[-1] if len(rel.parts) > 1 else owner
    imports, tree = _imports(path, root)
    found: list[str] = []
    for imp in imports:
        if imp.module == "importlib":
            found.append(f"{rel} looks modules up by name (importlib)")
        if not imp.module.startswith("laotie."):
            continue
        for target in _targets(imp):
            if len(target) < 2:
                continue
            other = target[1]
            module = target[2] if len(target) > 2 else None
            if imp.relative and other != owner:
                found.append(f"{rel} relative import leaves its domain: {'.'.join(target)}")
            if owner in FOUNDATION_IMPORTS and other not in FOUNDATION_IMPORTS[owner]:
                found.append(f"{rel} ({owner}) imports {'.'.join(target)}")
            if owner in LAYERS and other in LAYERS and other != owner:
                if LAYERS.index(other) > LAYERS.index(owner):
                    found.append(f"{rel} imports higher layer {'.'.join(target)}")
                if module is not None and module not in PUBLIC_MODULES:
                    found.append(f"{rel} reaches into {'.'.join(target)}")
            if owner == "web" and other in LAYERS and module is not None and module not in PUBLIC_MODULES:
                found.append(f"{rel} (web) reaches into {'.'.join(target)}")
            if owner in LAYERS and _is_app_level(other):
                found.append(f"{rel} imports app-level {'.'.join(target)}")
            if owner in LAYERS and other == owner and module in INNER_FORBIDDEN.get(here, set()):
                found.append(f"{rel} imports its own domain's {module} (wrong direction)")
            if owner in LAYERS and other == owner and module == "router" and here != "router":
                found.append(f"{rel} imports its own domain's router (wrong direction)")
            if other != owner and module == "service":
                private = [n for n in imp.names if n.startswith("_")]
                if private:
                    found.append(f"{rel} takes private {', '.join(private)} from {'.'.join(target)}")
    aliases = _service_aliases(imports, owner)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{rel} takes private {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"import_module", "__import__"}:
                found.append(f"{rel} looks modules up by name ({name})")
    return found


def _unlisted(root: Path) -> list[str]:
    found = []
    for entry in sorted(root.iterdir()):
        name = entry.name.removesuffix(".py")
        if entry.name.startswith((".", "__pycache__")) or not (entry.is_dir() or entry.suffix == ".py"):
            continue
        if entry.is_dir() and not (entry / "__init__.py").exists():
            continue
        if name not in LAYERS and name not in FOUNDATION and not _is_app_level(name):
            found.append(f"{entry.name} is a package in no layer (add it to LAYERS or APP_LEVEL)")
    return found


def _violations(root: Path = SRC) -> list[str]:
    found = _unlisted(root)
    for path in sorted(root.rglob("*.py")):
        found += _check_file(path, root)
    return found


def test_imports_follow_the_house_rules() -> None:
    assert _violations() == []


def _scratch(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if str(parent) != ".":
                (root / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return _violations(root)


def test_the_check_sees_every_kind_of_violation(tmp_path: Path) -> None:
    found = _scratch(
        tmp_path,
        {
            "accounts/up.py": "from laotie.shops import service\n",
            "catalog/deep.py": "from laotie.shops.models import Shop\n",
            "catalog/rel.py": "from ..shops import service\n",
            "catalog/models.py": "from laotie.catalog import service\n",
            "catalog/service.py": "from laotie.catalog.router import router\n",
            "catalog/listing.py": "from laotie.shops.service import _owner\n",
            "catalog/attr.py": "from laotie.shops import service\nservice._owner(1)\n",
            "catalog/lookup.py": "import importlib\nimportlib.import_module('laotie.orders.service')\n",
            "web/page.py": "from laotie.orders.models import Order\n",
            "core/low.py": "from laotie.orders import service\n",
            "orders/app.py": "from laotie.web import pages\n",
            "gadgets/thing.py": "x = 1\n",
        },
    )
    expected = [
        "accounts/up.py imports higher layer laotie.shops.service",
        "catalog/deep.py reaches into laotie.shops.models",
        "catalog/rel.py relative import leaves its domain",
        "catalog/models.py imports its own domain's service (wrong direction)",
        "catalog/service.py imports its own domain's router (wrong direction)",
        "catalog/listing.py takes private _owner",
        "catalog/attr.py takes private service._owner",
        "catalog/lookup.py looks modules up by name (importlib)",
        "catalog/lookup.py looks modules up by name (import_module)",
        "web/page.py (web) reaches into laotie.orders.models",
        "core/low.py (core) imports laotie.orders.service",
        "orders/app.py imports app-level laotie.web.pages",
        "gadgets is a package in no layer",
    ]
    missing = [e for e in expected if not any(e in f for f in found)]
    assert missing == [], found
    assert len(found) == len(expected), found


def test_the_check_passes_what_the_rules_allow(tmp_path: Path) -> None:
    found = _scratch(
        tmp_path,
        {
            "catalog/service.py": "from laotie.shops import service, errors\nfrom .models import Product\n",
            "catalog/models.py": "from laotie.catalog.errors import Missing\n",
            "catalog/router.py": "from laotie.catalog import service\nfrom laotie.catalog.router import x\n",
            "catalog/errors.py": "x = 1\n",
            "web/page.py": "from laotie.orders import service\nfrom laotie.orders.schemas import OrderOut\n",
            "sim/seed.py": "from laotie.orders.models import Order\n",
            "cli_extra.py": "from laotie.orders.batcher import run\n",
            "addresses/regions.py": "import importlib.metadata\nimportlib.metadata.version('x')\n",
        },
    )
    assert found == []

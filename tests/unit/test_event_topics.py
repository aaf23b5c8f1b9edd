"""Typed events, checked against the code: every topic spelled once (a class in ``laotie.events``),
every subscribed topic emitted somewhere, every emitted topic in ``docs/events.md``, and every
domain's ``register`` wired by the bootstrap.

``docs/events.md``'s table is generated from the code; after changing events, rewrite it with
``LAOTIE_WRITE_EVENTS_DOC=1 pytest tests/unit/test_event_topics.py``.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
from pathlib import Path

from laotie import bootstrap
from laotie import events as events_package
from laotie.core.events import DomainEvent, EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry

SRC = Path(__file__).resolve().parents[2] / "src" / "laotie"
DOC = SRC.parents[1] / "docs" / "events.md"
BEGIN, END = "<!-- events table: generated -->", "<!-- end of events table -->"


def _event_types() -> dict[str, type[DomainEvent]]:
    """Topic -> class, from every module of ``laotie.events``; a topic spelled twice fails."""
    found: dict[str, type[DomainEvent]] = {}
    for info in pkgutil.iter_modules(events_package.__path__):
        module = importlib.import_module(f"laotie.events.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DomainEvent) and "topic" in vars(value):
                if value.__module__ != module.__name__:
                    continue  # imported from a sibling module, counted there
                assert isinstance(value.topic, str) and value.topic, value
                assert found.setdefault(value.topic, value) is value, f"topic {value.topic} spelled twice"
    return found


def _referenced_names(tree: ast.Module) -> set[str]:
    """Names a module uses as values: not in annotations, not as what it subscribes to."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            skip |= {id(n) for n in ast.walk(node.annotation)}
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            skip |= {id(n) for n in ast.walk(node.returns)}
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "subscribe"
        ):
            skip |= {id(n) for n in ast.walk(node.args[0])} if node.args else set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in skip}


def _emitters(classes: dict[str, type[DomainEvent]]) -> dict[str, list[str]]:
    """Topic -> the modules that build the event and write it to the outbox."""
    by_name = {cls.__name__: topic for topic, cls in classes.items()}
    found: dict[str, list[str]] = {topic: [] for topic in classes}
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SRC / "events"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
        }
        if not calls & {"emit", "emit_many"}:
            continue
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        for name in _referenced_names(tree) & set(by_name):
            found[by_name[name]].append(module)
    return found


def _wired() -> EventBus:
    bus = EventBus()
    bootstrap.wire(bus, JobRegistry(), ProviderRegistry())
    return bus


def _table() -> str:
    classes = _event_types()
    emitters = _emitters(classes)
    subscribed = _wired().subscriptions()
    rows = [
        "| topic | event | emitted by | subscribers |",
        "|---|---|---|---|",
    ]
    for topic in sorted(classes, key=lambda t: (classes[t].__module__, t)):
        cls = classes[topic]
        rows.append(
            f"| `{topic}` | `{cls.__module__.removeprefix('laotie.')}.{cls.__name__}` | "
            f"{', '.join(f'`{m}`' for m in emitters[topic]) or '—'} | "
            f"{', '.join(f'`{h}`' for h in subscribed.get(topic, [])) or '—'} |"
        )
    return "\n".join(rows)


def test_every_subscribed_topic_is_a_typed_event_someone_emits() -> None:
    classes = _event_types()
    emitters = _emitters(classes)
    for topic in _wired().subscriptions():
        assert topic in classes, f"{topic} is subscribed but no class in laotie.events declares it"
        assert emitters[topic], f"{topic} is subscribed but nothing emits it"


def test_every_event_class_is_emitted() -> None:
    unsent = [topic for topic, modules in _emitters(_event_types()).items() if not modules]
    assert unsent == [], f"declared but never emitted: {unsent}"


def test_docs_list_every_topic_with_its_emitters_and_subscribers() -> None:
    table = _table()
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} lost its table markers"
    head, rest = text.split(BEGIN, 1)
    current, tail = rest.split(END, 1)
    if os.environ.get("LAOTIE_WRITE_EVENTS_DOC"):
        DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
        return
    assert current.strip() == table, "docs/events.md is stale: LAOTIE_WRITE_EVENTS_DOC=1 pytest " + __file__


def test_every_domain_register_is_wired_by_the_bootstrap() -> None:
    defined = set()
    for path in sorted(SRC.glob("*/*.py")):
        if path.stem in {"events", "tasks"} and path.parent.name not in {"core", "events"}:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in tree.body):
                defined.add(f"laotie.{path.parent.name}.{path.stem}")
    wired = {register.__module__ for register in bootstrap.DOMAINS}
    assert defined == wired, f"defined but not wired: {defined - wired}; wired but gone: {wired - defined}"


def test_wiring_twice_changes_nothing() -> None:
    bus, jobs, providers = EventBus(), JobRegistry(), ProviderRegistry()
    bootstrap.wire(bus, jobs, providers)
    before = (bus.subscriptions(), set(jobs.entries), providers.names("payments"))
    bootstrap.wire(bus, jobs, providers)
    assert (bus.subscriptions(), set(jobs.entries), providers.names("payments")) == before
    assert before[1] and before[2] == ["sandbox"]


def test_a_typed_event_round_trips_through_its_stored_payload() -> None:
    from laotie.events.shops import ShopStatusChanged

    event = ShopStatusChanged(shop_id=1, from_="open", to="frozen", kind="frozen", actor_id=None, reason="")
    assert event.payload()["from"] == "open" and "from_" not in event.payload()
    stored = {**event.payload(), "added_later": 1}  # a key no field names is ignored
    assert ShopStatusChanged.from_payload(stored) == event

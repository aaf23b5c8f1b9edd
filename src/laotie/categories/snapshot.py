"""Each process's copy of the category tree, for the hot reads: a product's path, a branch's ids.

The tree is small (a few hundred rows) and changes rarely (a category is only ever added), so one
query reads it whole; the copy is read again once it is ``MAX_AGE_SECONDS`` old, so a category added
in any process is on every shelf within that bound (the same bound as ``core.read_cache``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from laotie.categories.models import Category
from laotie.core.read_cache import DEFAULT_TTL_SECONDS

MAX_AGE_SECONDS = DEFAULT_TTL_SECONDS


@dataclass(frozen=True)
class Tree:
    paths: dict[int, tuple[str, ...]]
    branches: dict[int, tuple[int, ...]]  # a category and every category below it
    lineages: dict[int, tuple[int, ...]]  # ids from the root down to the category
    expires: float


def _read(session: Session | Connection, expires: float) -> Tree:
    rows = session.execute(select(Category.id, Category.parent_id, Category.name).order_by(Category.id)).all()
    parent = {r.id: r.parent_id for r in rows}
    name = {r.id: r.name for r in rows}
    children: dict[int, list[int]] = {}
    for r in rows:
        if r.parent_id is not None:
            children.setdefault(r.parent_id, []).append(r.id)
    paths: dict[int, tuple[str, ...]] = {}
    lineages: dict[int, tuple[int, ...]] = {}
    for cid in parent:
        names, ids, at = [], [], cid
        while at is not None and at in name:
            names.append(name[at])
            ids.append(at)
            at = parent[at]
        paths[cid] = tuple(reversed(names))
        lineages[cid] = tuple(reversed(ids))
    branches: dict[int, tuple[int, ...]] = {}
    for cid in parent:
        found, frontier = [cid], [cid]
        while frontier:
            frontier = [c for f in frontier for c in children.get(f, ())]
            found.extend(frontier)
        branches[cid] = tuple(found)
    return Tree(paths, branches, lineages, expires)


class _Holder:
    def __init__(self) -> None:
        self.tree: Tree | None = None
        self.lock = threading.Lock()

    def current(self, session: Session | Connection, need: int | None = None) -> Tree:
        """The copy, read again when it is too old or lacks ``need`` (a category just added)."""
        tree = self.tree
        now = time.monotonic()
        if tree is not None and tree.expires > now and (need is None or need in tree.paths):
            return tree
        # One reader at a time. When the copy expired under load every request thread used to read
        # and rebuild the tree at once (a tenth of the shelf's time); now, while one rereads it, the
        # others keep the copy being replaced, which is within the bound: it was read less than
        # MAX_AGE_SECONDS before the reread began. Without a usable copy they wait for the reread.
        usable = tree is not None and (need is None or need in tree.paths)
        if not self.lock.acquire(blocking=not usable):
            assert tree is not None
            return tree
        try:
            tree = self.tree
            now = time.monotonic()
            if tree is None or tree.expires <= now or (need is not None and need not in tree.paths):
                tree = _read(session, now + MAX_AGE_SECONDS)
                self.tree = tree
            return tree
        finally:
            self.lock.release()

    def forget(self) -> None:
        self.tree = None


# One copy per database (engine): a process may talk to several (the tests use two).
_holders: WeakKeyDictionary[Engine, _Holder] = WeakKeyDictionary()


def _holder(reader: Session | Connection) -> _Holder:
    if isinstance(reader, Connection):
        engine = reader.engine
    else:
        bind = reader.bind or reader.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
    holder = _holders.get(engine)
    if holder is None:
        holder = _holders.setdefault(engine, _Holder())
    return holder


def path_of(session: Session | Connection, category_id: int) -> list[str] | None:
    """Names from the root down to ``category_id``; ``None`` if there is no such category."""
    path = _holder(session).current(session, category_id).paths.get(category_id)
    return list(path) if path is not None else None


def branch_of(session: Session | Connection, category_id: int) -> list[int] | None:
    """``category_id`` and every category below it; ``None`` if there is no such category."""
    branch = _holder(session).current(session, category_id).branches.get(category_id)
    return list(branch) if branch is not None else None


def lineage_of(session: Session | Connection, category_id: int) -> list[int] | None:
    """Ids from the root down to ``category_id``; ``None`` if there is no such category."""
    lineage = _holder(session).current(session, category_id).lineages.get(category_id)
    return list(lineage) if lineage is not None else None


def forget() -> None:
    """Drop this process's copies (a category was added here: no need to wait for the bound)."""
    for holder in list(_holders.values()):
        holder.forget()

"""The category tree as search needs it: paths, branches and top levels, cached per process.

Categories change rarely (staff add one now and then); a process rereads the tree at most every
``TTL_SECONDS``, or at once when asked for an id it does not know.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from laotie.categories import service as categories
from laotie.categories.schemas import CategoryNode

TTL_SECONDS = 60.0


@dataclass
class CategoryMap:
    names: dict[int, str] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    roots: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, nodes: list[CategoryNode]) -> CategoryMap:
        m = cls()

        def walk(node: CategoryNode, parent: int | None) -> None:
            m.names[node.id] = node.name
            m.parent[node.id] = parent
            m.children[node.id] = [c.id for c in node.children]
            for child in node.children:
                walk(child, node.id)

        for node in nodes:
            m.roots.append(node.id)
            walk(node, None)
        return m

    def path(self, category_id: int) -> list[int]:
        """Ids from the root down to ``category_id``."""
        out: list[int] = []
        current: int | None = category_id
        while current is not None and current in self.names and len(out) < 20:
            out.append(current)
            current = self.parent.get(current)
        return out[::-1]

    def path_names(self, category_id: int) -> list[str]:
        return [self.names[c] for c in self.path(category_id)]

    def top(self, category_id: int) -> int | None:
        path = self.path(category_id)
        return path[0] if path else None

    def branch(self, category_id: int) -> list[int]:
        """The category and every category below it."""
        out, frontier = [category_id], [category_id]
        while frontier:
            frontier = [c for f in frontier for c in self.children.get(f, [])]
            out.extend(frontier)
        return out

    def child_towards(self, ancestor: int | None, category_id: int) -> int | None:
        """The child of ``ancestor`` (a root when None) on the way down to ``category_id``."""
        path = self.path(category_id)
        if ancestor is None:
            return path[0] if path else None
        if ancestor not in path:
            return None
        i = path.index(ancestor)
        return path[i + 1] if i + 1 < len(path) else ancestor


class _Cache:
    def __init__(self) -> None:
        self._map: CategoryMap | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session, *, need: int | None = None) -> CategoryMap:
        fresh = self._map is not None and time.monotonic() - self._at < TTL_SECONDS
        if fresh and (need is None or need in self._map.names):  # type: ignore[union-attr]
            return self._map  # type: ignore[return-value]
        with self._lock:
            self._map = CategoryMap.of(categories.tree(session))
            self._at = time.monotonic()
            return self._map

    def clear(self) -> None:
        self._map = None


cache = _Cache()

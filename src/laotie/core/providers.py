"""Which provider implementation answers for each kind (payments, carriers): a setting names it, this
registry maps the name to a factory. Domains add their built-in providers in their ``register``
(``laotie.bootstrap``); a real provider is one more ``add`` and a setting, not another ``if``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UnknownProvider(RuntimeError):
    pass


class ProviderRegistry:
    def __init__(self) -> None:
        self._factories: dict[tuple[str, str], Callable[..., Any]] = {}

    def add(self, kind: str, name: str, factory: Callable[..., Any]) -> None:
        """Register ``factory`` as provider ``name`` of ``kind``; the same again changes nothing."""
        existing = self._factories.get((kind, name))
        if existing is not None and existing is not factory:
            raise ValueError(f"{kind} provider {name!r} is already registered")
        self._factories[(kind, name)] = factory

    def factory(self, kind: str, name: str) -> Callable[..., Any]:
        try:
            return self._factories[(kind, name)]
        except KeyError:
            known = sorted(n for k, n in self._factories if k == kind)
            raise UnknownProvider(f"unknown {kind} provider {name!r} (registered: {known})") from None

    def find(self, kind: str, name: str) -> Callable[..., Any] | None:
        """The factory, or None when this provider has none of this kind (an optional part)."""
        return self._factories.get((kind, name))

    def names(self, kind: str) -> list[str]:
        return sorted(n for k, n in self._factories if k == kind)


providers = ProviderRegistry()

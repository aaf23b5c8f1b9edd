"""What the scores domain emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class ProductScoresChanged(DomainEvent):
    """A figure rankings use moved for the product (read the new figures through scores' service)."""

    topic: ClassVar[str] = "scores.product_changed"
    product_id: int
    shop_id: int | None


@dataclass(frozen=True)
class ShopScoresChanged(DomainEvent):
    topic: ClassVar[str] = "scores.shop_changed"
    shop_id: int


@dataclass(frozen=True)
class ThresholdCrossed(DomainEvent):
    """A subject went below a line (``direction`` "below") or back above it ("recovered"). ``score``
    is one of product_score, overpriced, quality_return_rate, experience, dsr, dsr_logistics,
    promoter_integrity (the names governance's rules use); ``value`` and ``threshold`` are that
    score's own figures."""

    topic: ClassVar[str] = "scores.threshold_crossed"
    score: str
    subject_kind: str
    subject_id: int
    shop_id: int | None
    value: Any
    threshold: Any
    direction: str
    at: str

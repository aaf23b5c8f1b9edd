"""What other domains and pages read of scores. None means 暂无评分 (too few data), never 0 or 5."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

BAND_LABELS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}
DSR_LABELS = {"description": "描述相符", "service": "服务态度", "logistics": "物流服务"}


def stars_text(x100: int | None) -> str:
    return "暂无评分" if x100 is None else f"{x100 / 100:.2f}"


@dataclass(frozen=True)
class ProductScoresOut:
    product_id: int
    shop_id: int | None
    product_score: int | None = None  # 商品分 0..100
    rating_avg_x100: int | None = None  # plain average of product stars (4.8 分)
    reviews: int = 0
    quality_return_bp: int | None = None  # 品退率, 30 days
    price_fen: int | None = None
    price_index_bp: int | None = None  # price / equivalent goods' median (10,000 = the same)
    own_price_index_bp: int | None = None  # price / its own 30-day median
    price_label: str | None = None  # 价格力 优秀/良好/一般/较差
    overpriced: bool = False  # 溢价
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ShopScoresOut:
    shop_id: int
    dsr_description_x100: int | None = None
    dsr_service_x100: int | None = None
    dsr_logistics_x100: int | None = None
    reviews: int = 0  # in the 90-day window
    category_avg_x100: int | None = None  # the shop's main category's average (同行)
    quality_return_bp: int | None = None
    experience: int | None = None  # 商家体验分 0..100
    band: str | None = None  # excellent / good / fair / poor
    updated_at: datetime | None = None

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band or "", "暂无评分")

    @property
    def dsr(self) -> dict[str, int | None]:
        return {
            "description": self.dsr_description_x100,
            "service": self.dsr_service_x100,
            "logistics": self.dsr_logistics_x100,
        }

    @property
    def dsr_mean_x100(self) -> int | None:
        known = [d for d in self.dsr.values() if d is not None]
        return round(sum(known) / len(known)) if known else None

    def versus_category(self) -> dict[str, str]:
        """Each DSR dimension against the category's average: 高于同行 / 低于同行 / 持平同行."""
        out = {}
        for name, value in self.dsr.items():
            if value is None or self.category_avg_x100 is None:
                out[name] = ""
            elif value > self.category_avg_x100:
                out[name] = "高于同行"
            elif value < self.category_avg_x100:
                out[name] = "低于同行"
            else:
                out[name] = "持平同行"
        return out


@dataclass(frozen=True)
class PromoterScoresOut:
    user_id: int
    integrity: int | None = None  # 推广者诚信分 0..100
    quality_return_bp: int | None = None
    reviews: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Part:
    """One part of a composite score: its value in [0, 1], its weight, and the inputs it came from."""

    name: str
    label: str
    value: float
    weight: int
    inputs: str


@dataclass(frozen=True)
class ScoreCard:
    """One score on the merchant page: value, how it was computed, its history and what moved it."""

    key: str
    title: str
    value_text: str
    note: str
    window: str
    parts: list[Part] = field(default_factory=list)
    history: list[tuple[date, float | None]] = field(default_factory=list)
    scale: tuple[float, float] = (0.0, 100.0)


@dataclass(frozen=True)
class MovedBy:
    at: datetime
    cause: str
    cause_label: str
    subject: str
    changes: list[tuple[str, Any, Any]]


@dataclass(frozen=True)
class ConsequenceView:
    subject: str
    label: str
    reason: str
    source_key: str
    starts_at: datetime


@dataclass(frozen=True)
class ShopReport:
    shop: ShopScoresOut
    cards: list[ScoreCard]
    moved_by: list[MovedBy]
    consequences: list[ConsequenceView]
    products: list[tuple[str, ProductScoresOut]]

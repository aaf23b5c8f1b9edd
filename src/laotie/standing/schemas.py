"""What a product, shop or promoter may receive in traffic and ads, and why (扶优打劣 as data)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class SubjectKind(enum.StrEnum):
    PRODUCT = "product"
    SHOP = "shop"
    USER = "user"  # an anchor or creator (推广者)


class Effect(enum.StrEnum):
    """What a consequence does. Each reader checks only the effects that concern it."""

    DISTRIBUTION_STOPPED = "distribution_stopped"  # 断流: not shown in public traffic (feed, search)
    NO_BOOST = "no_boost"  # loses commercial boosts in feed and search
    NO_ADS = "no_ads"  # may not be advertised
    TRAFFIC_WEIGHT = "traffic_weight"  # ``value_bp`` scales exposure (a shop's band)
    NO_NEW_LISTINGS = "no_new_listings"
    NO_LIVE = "no_live"
    NO_ALLIANCE = "no_alliance"  # removed from the affiliate alliance


class SourceKind(enum.StrEnum):
    SCORE = "score"  # lifts by itself when the score recovers
    PENALTY = "penalty"  # a governance case's penalty; lifts at its end or on a successful appeal


EFFECT_LABELS = {
    Effect.DISTRIBUTION_STOPPED: "停止流量分发",
    Effect.NO_BOOST: "不享受商业流量加权",
    Effect.NO_ADS: "禁止投放广告",
    Effect.TRAFFIC_WEIGHT: "流量权重调整",
    Effect.NO_NEW_LISTINGS: "禁止发布新商品",
    Effect.NO_LIVE: "禁止直播",
    Effect.NO_ALLIANCE: "清退好物联盟",
}

FULL_WEIGHT_BP = 10_000


@dataclass(frozen=True)
class ConsequenceOut:
    id: int
    subject_kind: SubjectKind
    subject_id: int
    effect: Effect
    value_bp: int | None
    source_kind: SourceKind
    source_key: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    lifted_reason: str

    @property
    def label(self) -> str:
        return EFFECT_LABELS[self.effect]


@dataclass(frozen=True)
class Traffic:
    """How public traffic may treat one product, its own and its shop's consequences combined."""

    distributed: bool = True
    boosted: bool = True
    advertisable: bool = True
    weight_bp: int = FULL_WEIGHT_BP
    because: tuple[ConsequenceOut, ...] = field(default=())

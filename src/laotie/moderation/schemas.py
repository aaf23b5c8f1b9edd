from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Surface(enum.StrEnum):
    """Where a text entered the platform."""

    LIVE_COMMENT = "live_comment"
    VIDEO_CAPTION = "video_caption"
    VIDEO_COMMENT = "video_comment"
    PRODUCT_TITLE = "product_title"
    PRODUCT_DESCRIPTION = "product_description"
    SHOP_NAME = "shop_name"
    SHOP_PROFILE = "shop_profile"
    REVIEW = "review"
    AFTERSALES_MESSAGE = "aftersales_message"


class HitStatus(enum.StrEnum):
    OPEN = "open"  # recorded, nobody has looked yet
    CONFIRMED = "confirmed"  # staff agree with the detector
    WRONG = "wrong"  # staff say the detector was wrong (a false positive)


DIVERSION_REASONS = frozenset(
    {
        "contact_wechat",
        "contact_qq",
        "contact_phone",
        "contact_email",
        "contact_other_app",
        "contact_number",
        "platform_redirect",
        "move_conversation",
        "offline_payment",
        "link_or_qr",
    }
)
INTENT_REASONS = frozenset(
    {
        "intent_buy",
        "intent_link",
        "intent_price",
        "intent_want",
        "intent_explain",
        "intent_size",
        "intent_colour",
        "intent_stock",
        "intent_shipping",
        "intent_usage",
        "intent_quality",
        "intent_offer",
    }
)
OTHER_REASONS = frozenset({"prohibited_goods", "review_bribery"})


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of the ORIGINAL text matched ``reason``."""

    start: int
    end: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    diversion: bool = False
    purchase_intent: bool = False
    prohibited: bool = False
    review_bribery: bool = False
    reasons: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()

    @property
    def blocked(self) -> bool:
        """Not shown to others as is: diversion, prohibited goods or review bribery."""
        return self.diversion or self.prohibited or self.review_bribery

    @property
    def blocking_reasons(self) -> tuple[str, ...]:
        return tuple(r for r in self.reasons if r not in INTENT_REASONS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "diversion": self.diversion,
            "purchase_intent": self.purchase_intent,
            "prohibited": self.prohibited,
            "review_bribery": self.review_bribery,
            "blocked": self.blocked,
            "reasons": list(self.reasons),
            "spans": [s.as_dict() for s in self.spans],
        }


class SpanOut(BaseModel):
    start: int
    end: int
    reason: str


class HitOut(BaseModel):
    id: int
    surface: Surface
    subject_kind: str
    subject_id: int
    author_id: int | None
    text: str
    reasons: list[str]
    spans: list[SpanOut]
    status: HitStatus
    diversion: bool
    purchase_intent: bool
    reviewed_by: int | None
    reviewed_at: datetime | None
    created_at: datetime


class HitReviewIn(BaseModel):
    verdict: HitStatus = Field(description="confirmed: the detector was right; wrong: a false positive")
    note: str = Field(default="", max_length=200)

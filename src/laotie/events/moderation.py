"""What the moderation domain emits (see ``service`` for when each is sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class HitRecorded(DomainEvent):
    """A text was blocked and stored."""

    topic: ClassVar[str] = "moderation.hit_recorded"
    hit_id: int
    surface: str
    subject_kind: str
    subject_id: int
    author_id: int | None
    reasons: list[str]
    diversion: bool
    prohibited: bool
    review_bribery: bool


@dataclass(frozen=True)
class RepeatOffender(DomainEvent):
    """An author's blocked texts within the window reached the threshold (at most once per author per
    window). ``surface`` is the surface of the hit that reached it; ``hit_ids`` the author's counted
    hits in the window, oldest first; ``reasons`` their reason codes."""

    topic: ClassVar[str] = "moderation.repeat_offender"
    author_id: int
    surface: str
    hit_ids: list[int]
    reasons: list[str]
    threshold: int
    window_hours: int


@dataclass(frozen=True)
class HitReviewed(DomainEvent):
    """Staff confirmed a hit or marked it wrong (``status`` "confirmed" | "wrong"); the domain that
    owns the subject may release what it held back."""

    topic: ClassVar[str] = "moderation.hit_reviewed"
    hit_id: int
    status: str
    surface: str
    subject_kind: str
    subject_id: int
    author_id: int | None
    reviewer_id: int

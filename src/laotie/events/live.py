"""What the live domain emits: a live session started or ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class LiveSessionEvent(DomainEvent):
    session_id: int
    room_id: int
    anchor_user_id: int
    shop_id: int | None
    title: str


@dataclass(frozen=True)
class LiveSessionStarted(LiveSessionEvent):
    topic: ClassVar[str] = "LiveSessionStarted"


@dataclass(frozen=True)
class LiveSessionEnded(LiveSessionEvent):
    topic: ClassVar[str] = "LiveSessionEnded"

"""What the social domain emits (to itself): the next batch of a live start's notifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.events.live import LiveSessionEvent


@dataclass(frozen=True)
class SocialFanOut(LiveSessionEvent):
    """Notify the followers after ``after_user_id`` that the session started (one batch per event,
    so a star's million followers never make one long transaction)."""

    topic: ClassVar[str] = "SocialFanOut"
    after_user_id: int

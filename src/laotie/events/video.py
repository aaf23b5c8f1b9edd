"""What the video domain emits: a video became visible to buyers, or was removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class _VideoEvent(DomainEvent):
    video_id: int
    shop_id: int | None
    author_id: int


@dataclass(frozen=True)
class VideoPublished(_VideoEvent):
    topic: ClassVar[str] = "video.published"


@dataclass(frozen=True)
class VideoRemoved(_VideoEvent):
    topic: ClassVar[str] = "video.removed"

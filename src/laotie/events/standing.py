"""What the standing domain emits: a consequence came into force, or was lifted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class _ConsequenceEvent(DomainEvent):
    consequence_id: int
    subject_kind: str
    subject_id: int
    effect: str
    source_key: str


@dataclass(frozen=True)
class ConsequenceImposed(_ConsequenceEvent):
    topic: ClassVar[str] = "standing.consequence_imposed"


@dataclass(frozen=True)
class ConsequenceLifted(_ConsequenceEvent):
    topic: ClassVar[str] = "standing.consequence_lifted"

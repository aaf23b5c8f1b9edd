from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from laotie.social.models import TargetKind

__all__ = ["FanCountOut", "FollowOut", "InboxOut", "NotificationOut", "TargetKind"]


class FollowOut(BaseModel):
    target_kind: TargetKind
    target_id: int
    target_name: str
    created_at: datetime


class FanCountOut(BaseModel):
    target_kind: TargetKind
    target_id: int
    fans: int
    following: bool  # whether the caller follows it (false for anonymous callers)


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class InboxOut(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int

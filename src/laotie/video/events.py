"""Outbox handlers of the video domain.

``HitReviewed``: a held video (its caption was blocked) is published when staff mark its hits wrong
and none of them is still open or confirmed, and announced (``VideoPublished``). Idempotent:
publishing a published video changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus, emit
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.moderation import HitReviewed
from laotie.events.video import VideoPublished
from laotie.moderation import service as moderation
from laotie.video.models import Video, VideoStatus


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(HitReviewed, release_held_video, name="video.release_held_video")


def release_held_video(session: Session, event: HitReviewed) -> None:
    if event.subject_kind != "video" or event.status != moderation.HitStatus.WRONG.value:
        return
    video = session.get(Video, event.subject_id)
    if video is None or video.status != VideoStatus.HELD:
        return
    hits = moderation.hits_for(session, "video", [video.id]).get(video.id, [])
    if all(h.status == moderation.HitStatus.WRONG for h in hits):
        video.status = VideoStatus.PUBLISHED
        session.flush()
        emit(session, VideoPublished(video_id=video.id, shop_id=video.shop_id, author_id=video.author_id))

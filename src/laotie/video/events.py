"""Outbox handlers of the video domain.

``moderation.hit_reviewed``: a held video (its caption was blocked) is published when staff mark its
hits wrong and none of them is still open or confirmed, and announced (``video.published``) to search. Idempotent: publishing a published video
changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus, emit
from laotie.moderation import service as moderation
from laotie.video.models import Video, VideoStatus
from laotie.video.publishing import PUBLISHED


@bus.subscribe("moderation.hit_reviewed", name="video.release_held_video")
def release_held_video(session: Session, event: Event) -> None:
    payload = event.payload
    if payload.get("subject_kind") != "video" or payload.get("status") != moderation.HitStatus.WRONG.value:
        return
    video = session.get(Video, int(payload["subject_id"]))
    if video is None or video.status != VideoStatus.HELD:
        return
    hits = moderation.hits_for(session, "video", [video.id]).get(video.id, [])
    if all(h.status == moderation.HitStatus.WRONG for h in hits):
        video.status = VideoStatus.PUBLISHED
        session.flush()
        emit(
            session, PUBLISHED, {"video_id": video.id, "shop_id": video.shop_id, "author_id": video.author_id}
        )

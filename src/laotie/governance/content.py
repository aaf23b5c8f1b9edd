"""Removing content a case condemned (``ContentRemoved``): videos and comments have no handler of
their own, so governance asks their domains to take them down here, after the decision commits
(idempotent: a removed item stays removed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError
from laotie.events.governance import ContentRemoved
from laotie.governance.models import TrailAction, TrailObject
from laotie.governance.trail import record
from laotie.live import service as live
from laotie.video import service as video

# Acts as governance staff; the id is nobody's (it only names the viewer of a held video).
SYSTEM = Principal(user_id=0, roles=frozenset({Role.GOVERNANCE}))


def remove_content(session: Session, ev: ContentRemoved) -> None:
    kind, item_id, case_id = ev.kind, ev.id, ev.case_id
    if not isinstance(item_id, int) or not isinstance(case_id, int):
        return
    if kind == "video":
        try:
            video.remove(session, SYSTEM, item_id)
            done = True
        except AppError:  # already removed, or never published
            done = False
    elif kind == "video_comment":
        done = video.hide_comment(session, item_id)
    elif kind == "live_comment":
        done = live.block_comment(session, item_id)
    else:
        return
    record(
        session,
        TrailObject.CASE,
        case_id,
        TrailAction.CONTENT_REMOVED if done else TrailAction.CONTENT_ALREADY_GONE,
        None,
        str(kind),
        {"id": item_id},
    )

"""The viewer WebSocket route: /api/v1/live/sessions/{id}/ws (token in the query or the cookie)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path, WebSocket
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Principal
from laotie.core.ids import MAX_ID
from laotie.core.uow import unit_of_work
from laotie.live import cart, flash
from laotie.live.comments import recent_comments
from laotie.live.models import SessionStatus
from laotie.live.realtime.connection import Caller, Limits, anonymous_key, serve
from laotie.live.realtime.hub import Hub
from laotie.live.realtime.ratelimit import CommentRateLimiter
from laotie.live.rooms import load_session, session_out


async def websocket_viewer(websocket: WebSocket) -> Principal | None:
    """Anyone may watch; comments and likes need a log-in (``?token=`` or the session cookie)."""
    token = websocket.query_params.get("token") or websocket.cookies.get("laotie_token")
    if not token or len(token) > 200:
        return None
    principal: Principal | None = await websocket.app.state.principal_cache.resolve(token)
    return principal


websocket_viewer.__laotie_access__ = ("public", ())  # type: ignore[attr-defined]


def _state(
    session: Session, session_id: int, user_id: int | None
) -> tuple[list[dict[str, Any]], int, str, bool]:
    row, room = load_session(session, session_id)
    out = session_out(row, room)
    pinned = None
    if row.pinned_item_id is not None:
        pinned = next((i for i in cart.view(session, row.id) if i.id == row.pinned_item_id), None)
    nick = ""
    if user_id is not None:
        nick = accounts.get_user_out(session, user_id).nickname or f"老铁{user_id}"
    state = [
        {
            "type": "state",
            "session": out.model_dump(mode="json"),
            "pinned": pinned.model_dump(mode="json") if pinned else None,
            "flash_sales": [s.model_dump(mode="json") for s in flash.session_sales(session, row.id)],
            "likes": row.likes,
            # The chat so far, so a viewer does not walk into a silent room.
            "recent_comments": recent_comments(session, row.id),
        }
    ]
    return state, row.likes, nick, row.status == SessionStatus.ENDED


async def websocket_endpoint(
    websocket: WebSocket,
    session_id: int = Path(ge=1, le=MAX_ID),
    principal: Principal | None = Depends(websocket_viewer),
) -> None:
    from starlette.concurrency import run_in_threadpool

    from laotie.core.errors import AppError

    app = websocket.app
    hub: Hub = app.state.live_hub
    user_id = principal.user_id if principal else None

    def load() -> tuple[list[dict[str, Any]], int, str, bool]:
        with unit_of_work(app.state.db, read_only=True) as session:
            return _state(session, session_id, user_id)

    try:
        state, likes, nick, ended = await run_in_threadpool(load)
    except AppError:
        await websocket.close(code=4404, reason="no such session")
        return
    await websocket.accept()
    if ended:
        await websocket.send_text(_dumps(state))
        await websocket.close(code=1000, reason="ended")
        return
    settings = app.state.settings
    viewer_key = f"u:{user_id}" if user_id else websocket.cookies.get("laotie_vid") or anonymous_key()
    caller = Caller(session_id, user_id, nick, viewer_key[:40])
    limits: Limits = app.state.live_limits
    limiter: CommentRateLimiter = app.state.live_comment_limiter
    await serve(websocket, hub, caller, state, likes, limits, limiter, settings.live_viewer_queue_frames)


def _dumps(messages: list[dict[str, Any]]) -> str:
    import json

    return json.dumps(messages, ensure_ascii=False)

"""Live comments through moderation: blocked ones stored with their hit, intent flagged per comment and
counted per minute and per pinned product for the anchor's console and the session report."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.live import service as live
from laotie.live.models import CommentStatus, LiveComment
from laotie.live.realtime import store
from laotie.moderation import service as moderation
from tests.factories import make_user
from tests.factories.live import on_air
from tests.factories.shops import make_reviewer


def _say(pending: store.Pending, session_id: int, user_id: int, text: str, minutes: float = 0) -> None:
    at = clock.now() + timedelta(minutes=minutes)
    pending.comments.append(store.comment_row(session_id, user_id, text, moderation.classify(text), at))


def test_comments_are_stored_with_hits_and_intent(db: Database, client: TestClient, session: Session) -> None:
    air = on_air(session)
    live.pin(session, air.anchor.principal, air.session_id, air.item_id)
    session.commit()
    fan_id, _ = make_user(session)
    pending = store.Pending()
    _say(pending, air.session_id, fan_id, "多少钱？")
    _say(pending, air.session_id, fan_id, "主播好美")
    _say(pending, air.session_id, fan_id, "有L码吗", minutes=1)
    _say(pending, air.session_id, fan_id, "想要的加我薇信 ab1234 更便宜", minutes=1)
    store.flush(db, pending)

    rows = session.scalars(select(LiveComment).order_by(LiveComment.id)).all()
    assert [(r.status, r.intent) for r in rows] == [
        (CommentStatus.SHOWN, True),
        (CommentStatus.SHOWN, False),
        (CommentStatus.SHOWN, True),
        (CommentStatus.BLOCKED, False),
    ]
    assert all(r.product_id == air.sale.product_id for r in rows)
    blocked = rows[-1]
    assert blocked.reason == "contact_wechat"
    reviewer, _ = make_reviewer(session)
    (hit,) = moderation.hits(session, reviewer, PageParams()).items
    assert (hit.subject_kind, hit.subject_id, hit.author_id) == ("live_comment", blocked.id, fan_id)

    with clock.travel(timedelta(minutes=2)):
        intent = live.session_intent(session, air.anchor.principal, air.session_id)
    assert intent.total == 2 and intent.per_minute[:2] == [1, 1]
    assert intent.by_product == {air.sale.product_id: 2}
    assert [c.text for c in intent.recent] == ["有L码吗", "多少钱？"]
    assert intent.recent[0].reasons and all(r.startswith("intent_") for r in intent.recent[0].reasons)
    assert live.intent_by_product(session, [air.sale.product_id, 999]) == {air.sale.product_id: 2}

    with clock.travel(timedelta(minutes=2)):
        report = client.get(
            f"/api/v1/live/sessions/{air.session_id}/report", headers=air.anchor.headers
        ).json()
    assert report["intent_comments"] == 2 and report["intent_timeline"][:2] == [1, 1]
    assert report["blocked_comments"] == 1
    # The counts are the anchor's: another user is refused.
    _, other = make_user(session)
    assert client.get(f"/api/v1/live/sessions/{air.session_id}/intent", headers=other).status_code in (
        403,
        404,
    )
    over_http = client.get(f"/api/v1/live/sessions/{air.session_id}/intent", headers=air.anchor.headers)
    assert over_http.status_code == 200 and over_http.json()["total"] == 2

"""When a followed room goes live, every fan gets one notification, written in batches, once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.events import OutboxEvent
from laotie.core.outbox import OutboxWorker
from laotie.core.pagination import PageParams
from laotie.social import service as social
from laotie.social.models import Notification, TargetKind
from tests.factories import make_user
from tests.factories.shops import make_open_shop, principal_of
from tests.factories.social import live_started


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from laotie.settings import get_settings

    monkeypatch.setenv("LAOTIE_SOCIAL_FANOUT_BATCH", "2")
    get_settings.cache_clear()


def _notified(session: Session, session_id: int) -> list[int]:
    session.rollback()
    rows = session.scalars(
        select(Notification.user_id)
        .where(Notification.source_key == f"live:{session_id}")
        .order_by(Notification.user_id)
    )
    return list(rows)


def test_fans_of_the_anchor_and_the_shop_are_notified_once_in_batches(
    db: Database, session: Session, small_batches: None
) -> None:
    shop_id, anchor_id, _ = make_open_shop(session)
    fans = [make_user(session)[0] for _ in range(5)]
    for i, fan_id in enumerate(fans):
        fan = principal_of(session, fan_id)
        social.follow(session, fan, TargetKind.SHOP, shop_id)
        if i < 3:
            social.follow(session, fan, TargetKind.USER, anchor_id)  # followers of both get one
    bystander, _ = make_user(session)
    session.commit()
    live_started(session, 41, anchor_id, shop_id, title="东北木耳专场")
    worker = OutboxWorker(db)
    worker.run_until_idle()
    assert _notified(session, 41) == sorted(fans)
    assert bystander not in _notified(session, 41)
    steps = session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "SocialFanOut")
    )
    assert steps == 2  # 5 fans in batches of 2: three transactions
    # The same session announced again (a replayed event) notifies nobody twice.
    live_started(session, 41, anchor_id, shop_id)
    worker.run_until_idle()
    assert _notified(session, 41) == sorted(fans)
    first = social.inbox(session, principal_of(session, fans[0]), PageParams())
    assert first.unread == 1 and first.items[0].body == "东北木耳专场"
    assert first.items[0].link == "/live/410"


def test_inbox_api_lists_and_marks_read(client: TestClient, db: Database, session: Session) -> None:
    anchor_id, _ = make_user(session)
    fan_id, headers = make_user(session)
    _, stranger = make_user(session)
    social.follow(session, principal_of(session, fan_id), TargetKind.USER, anchor_id)
    session.commit()
    live_started(session, 7, anchor_id)
    live_started(session, 8, anchor_id)
    OutboxWorker(db).run_until_idle()
    inbox = client.get("/api/v1/social/notifications", headers=headers).json()
    assert inbox["total"] == 2 and inbox["unread"] == 2
    first = inbox["items"][0]["id"]
    assert client.post(f"/api/v1/social/notifications/{first}/read", headers=stranger).status_code == 404
    read = client.post(f"/api/v1/social/notifications/{first}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/v1/social/notifications?unread_only=true", headers=headers).json()["total"] == 1
    assert client.post("/api/v1/social/notifications/read-all", headers=headers).json() == {"marked": 1}
    assert client.get("/api/v1/social/notifications", headers=headers).json()["unread"] == 0

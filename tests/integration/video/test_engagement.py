"""Views, one like per user, comments with a length and a pace limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.video import service as video
from laotie.video.models import Video, VideoComment, VideoLike
from tests.factories import make_user
from tests.factories.races import race
from tests.factories.shops import principal_of
from tests.factories.video import post_video


def test_likes_are_one_per_user_and_views_count(app: FastAPI, client: TestClient, session: Session) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    _, fan = make_user(session)
    url = f"/api/v1/videos/{posted.id}"
    assert client.put(url + "/like", headers=fan).json() == {"likes": 1, "liked": True}
    assert client.put(url + "/like", headers=fan).json() == {"likes": 1, "liked": True}
    assert client.get(url, headers=fan).json()["liked"] is True
    assert client.delete(url + "/like", headers=fan).json() == {"likes": 0, "liked": False}
    assert client.delete(url + "/like", headers=fan).json() == {"likes": 0, "liked": False}
    assert client.put(url + "/like").status_code == 401
    for expected in (1, 2):
        assert client.post(url + "/views").json() == {"views": expected}


def test_simultaneous_likes_by_one_user_count_once(app: FastAPI, db: Database, session: Session) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    session.commit()
    assert race(db, [lambda s: video.like(s, fan, posted.id)] * 6) == ["ok"] * 6
    session.rollback()
    assert session.scalar(select(Video.likes).where(Video.id == posted.id)) == 1
    assert session.scalar(select(func.count()).select_from(VideoLike)) == 1


def test_comments_need_login_a_length_limit_and_a_pace(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, fan = make_user(session, nickname="铁粉")
    url = f"/api/v1/videos/{posted.id}/comments"
    assert client.post(url, json={"body": "好看"}).status_code == 401
    too_long = client.post(url, json={"body": "长" * 201}, headers=fan)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "COMMENT_TOO_LONG"
    first = client.post(url, json={"body": "  木耳真厚  "}, headers=fan)
    assert (
        first.status_code == 201 and first.json()["body"] == "木耳真厚" and first.json()["nickname"] == "铁粉"
    )
    fast = client.post(url, json={"body": "再来一条"}, headers=fan)
    assert fast.status_code == 429 and fast.json()["error"]["code"] == "COMMENT_TOO_FAST"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(VideoComment)) == 1
    with clock.travel(timedelta(seconds=11)):
        again = video.comment(session, principal_of(session, fan_id), posted.id, "又来了")
        session.commit()
    assert again.body == "又来了"
    listed = client.get(url).json()
    assert listed["total"] == 2 and [c["body"] for c in listed["items"]] == ["又来了", "木耳真厚"]
    assert client.get(f"/api/v1/videos/{posted.id}").json()["comments"] == 2
    with pytest.raises(AppError) as caught:
        video.comment(session, principal_of(session, fan_id), 999_999, "x")
    assert caught.value.code == "VIDEO_NOT_FOUND"


def _parallel_comments(db: Database, fan: Principal, video_id: int, n: int) -> list[str]:
    """``n`` comments by one user at the same moment, each in its own transaction (as parallel
    requests would be); what each got: "ok" or the refusal's code."""
    return sorted(race(db, [lambda s, i=i: video.comment(s, fan, video_id, f"抢沙发{i}") for i in range(n)]))


def test_parallel_comments_by_one_user_cannot_beat_the_pace(
    app: FastAPI, db: Database, session: Session
) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    other = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    session.commit()
    # The user's very first comments (no pace row yet) and, later, the next interval's.
    assert _parallel_comments(db, fan, posted.id, 8) == ["COMMENT_TOO_FAST"] * 7 + ["ok"]
    with clock.travel(timedelta(seconds=11)):
        assert _parallel_comments(db, fan, other.id, 8) == ["COMMENT_TOO_FAST"] * 7 + ["ok"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(VideoComment)) == 2
    counts = session.execute(
        select(Video.id, Video.comments).where(Video.id.in_([posted.id, other.id]))
    ).all()
    assert dict(counts) == {posted.id: 1, other.id: 1}  # the refused ones left no count behind
    # Someone else is not slowed down by this user.
    rival_id, _ = make_user(session)
    assert video.comment(session, principal_of(session, rival_id), posted.id, "我也来").body == "我也来"
    session.commit()


def test_a_refused_comment_says_how_long_to_wait(app: FastAPI, session: Session) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    video.comment(session, fan, posted.id, "第一")
    session.commit()
    with clock.travel(timedelta(seconds=4)), pytest.raises(AppError) as caught:
        video.comment(session, fan, posted.id, "第二")
    assert caught.value.code == "COMMENT_TOO_FAST" and caught.value.details["retry_after"] == 6
    session.rollback()
    with clock.travel(timedelta(seconds=10)):
        assert video.comment(session, fan, posted.id, "第二").body == "第二"
        session.commit()

"""Recorded hits: what ``screen`` stores and announces, repeat offenders, staff review, corrections."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.moderation import service as moderation
from laotie.moderation.labelled import parse
from laotie.moderation.schemas import HitReviewIn, HitStatus, Surface
from tests.factories import make_user
from tests.factories.races import race
from tests.factories.shops import principal_of

LAOTIE = Path(sys.executable).with_name("laotie")


def _events(session: Session, topic: str) -> list[dict[str, object]]:
    rows = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))
    return [dict(r.payload) for r in rows]


def _screen(
    session: Session, text: str, author_id: int | None = 7, subject_id: int = 1
) -> moderation.Verdict:
    return moderation.screen(
        session,
        text=text,
        surface=Surface.VIDEO_COMMENT,
        subject_kind="video_comment",
        subject_id=subject_id,
        author_id=author_id,
    )


def test_a_blocked_text_is_stored_and_announced(session: Session) -> None:
    verdict = _screen(session, "多少钱？加我薇信 hy_8899 便宜")
    assert verdict.diversion and verdict.purchase_intent
    staff_id, _ = make_user(session, Role.GOVERNANCE)
    page = moderation.hits(session, principal_of(session, staff_id), PageParams())
    (hit,) = page.items
    assert hit.text == "多少钱？加我薇信 hy_8899 便宜" and hit.status == HitStatus.OPEN
    assert hit.reasons == ["contact_wechat"] and hit.purchase_intent  # intent is kept, not a reason to block
    assert all(hit.text[s.start : s.end] for s in hit.spans) and {s.reason for s in hit.spans} == {
        "contact_wechat"
    }
    (event,) = _events(session, "moderation.hit_recorded")
    assert event == {
        "hit_id": hit.id,
        "surface": "video_comment",
        "subject_kind": "video_comment",
        "subject_id": 1,
        "author_id": 7,
        "reasons": ["contact_wechat"],
        "diversion": True,
        "prohibited": False,
        "review_bribery": False,
    }


def test_clean_text_and_intent_alone_store_nothing(session: Session) -> None:
    assert _screen(session, "有L码吗").purchase_intent
    _screen(session, "V领毛衣好看")
    staff_id, _ = make_user(session, Role.GOVERNANCE)
    assert moderation.hits(session, principal_of(session, staff_id), PageParams()).total == 0
    assert _events(session, "moderation.hit_recorded") == []


def test_repeat_offender_once_per_window(session: Session) -> None:
    for i, text in enumerate(["加v详聊", "去某宝搜同款", "私聊下单", "扣扣 12345678"]):
        _screen(session, text, author_id=42, subject_id=i)
    (event,) = _events(session, "moderation.repeat_offender")
    assert event["author_id"] == 42 and event["surface"] == "video_comment"
    assert len(event["hit_ids"]) == 3 and event["threshold"] == 3 and event["window_hours"] == 24  # type: ignore[arg-type]
    assert set(event["reasons"]) == {"contact_wechat", "platform_redirect", "move_conversation"}  # type: ignore[arg-type]
    # Another author is counted on their own; a new window reports again.
    _screen(session, "加v", author_id=43)
    with clock.travel(timedelta(hours=25)):
        for text in ("加v", "加v", "加v"):
            _screen(session, text, author_id=42)
    assert [e["author_id"] for e in _events(session, "moderation.repeat_offender")] == [42, 42]


def test_hits_marked_wrong_do_not_count(session: Session) -> None:
    staff = principal_of(session, make_user(session, Role.GOVERNANCE)[0])
    for text in ("加v", "加v"):
        _screen(session, text, author_id=5)
    for hit in moderation.hits(session, staff, PageParams()).items:
        moderation.review_hit(session, staff, hit.id, HitReviewIn(verdict=HitStatus.WRONG))
    _screen(session, "加v", author_id=5)
    assert _events(session, "moderation.repeat_offender") == []


def test_review_once_and_export_corrections(session: Session) -> None:
    staff = principal_of(session, make_user(session, Role.GOVERNANCE)[0])
    _screen(session, "这件V领的，加我看看")
    _screen(session, "扣扣 2850096731")
    wrong, right = sorted(moderation.hits(session, staff, PageParams()).items, key=lambda h: h.id)
    out = moderation.review_hit(session, staff, wrong.id, HitReviewIn(verdict=HitStatus.WRONG, note="误判"))
    assert out.status == HitStatus.WRONG and out.reviewed_by == staff.user_id
    moderation.review_hit(session, staff, right.id, HitReviewIn(verdict=HitStatus.CONFIRMED))
    with pytest.raises(AppError) as caught:
        moderation.review_hit(session, staff, wrong.id, HitReviewIn(verdict=HitStatus.CONFIRMED))
    assert caught.value.code == "MODERATION_HIT_ALREADY_REVIEWED"
    with pytest.raises(AppError) as bad:
        moderation.review_hit(session, staff, wrong.id, HitReviewIn(verdict=HitStatus.OPEN))
    assert bad.value.code == "MODERATION_HIT_BAD_VERDICT"
    assert [e["status"] for e in _events(session, "moderation.hit_reviewed")] == ["wrong", "confirmed"]

    lines = list(moderation.corrections(session))
    (example,) = list(parse(lines))
    assert (example.text, example.diversion) == ("这件V领的，加我看看", False) and "wrong" in example.notes
    both = list(parse(moderation.corrections(session, (HitStatus.WRONG, HitStatus.CONFIRMED))))
    assert [(e.text, e.diversion) for e in both] == [
        ("这件V领的，加我看看", False),
        ("扣扣 2850096731", True),
    ]


def test_export_corrections_command(db: Database, session: Session) -> None:
    staff = principal_of(session, make_user(session, Role.GOVERNANCE)[0])
    _screen(session, "加微\t辣\n还是特辣")
    (hit,) = moderation.hits(session, staff, PageParams()).items
    moderation.review_hit(session, staff, hit.id, HitReviewIn(verdict=HitStatus.WRONG))
    session.commit()
    command = [str(LAOTIE)] if LAOTIE.exists() else [sys.executable, "-m", "laotie.cli"]
    done = subprocess.run(
        [*command, "moderate", "export-corrections", "--database-url", db.url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    (line,) = done.stdout.decode("utf-8").splitlines()
    assert line.split("\t")[:3] == ["加微 辣 还是特辣", "0", "1"]  # intent as detected (辣 还是 特辣?)


def test_staff_only_over_http(client: TestClient, session: Session) -> None:
    _screen(session, "线下转账，包邮到家")
    session.commit()
    _, staff = make_user(session, Role.GOVERNANCE)
    _, buyer = make_user(session)
    assert client.get("/api/v1/governance/moderation/hits", headers=buyer).status_code == 403
    listed = client.get("/api/v1/governance/moderation/hits?status=open&surface=video_comment", headers=staff)
    (hit,) = listed.json()["items"]
    assert hit["reasons"] == ["offline_payment"]
    done = client.post(
        f"/api/v1/governance/moderation/hits/{hit['id']}/review", json={"verdict": "confirmed"}, headers=staff
    )
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    again = client.post(
        f"/api/v1/governance/moderation/hits/{hit['id']}/review", json={"verdict": "wrong"}, headers=staff
    )
    assert again.status_code == 409
    assert client.get("/api/v1/governance/moderation/hits/999999", headers=staff).status_code == 404


def test_parallel_hits_report_an_author_once(db: Database, session: Session) -> None:
    """Hits arriving at once, each in its own transaction: the author is reported once."""
    for text in ("加v", "加v"):
        _screen(session, text, author_id=9)
    session.commit()
    assert race(db, [lambda s: _screen(s, "私聊下单", author_id=9)] * 4) == ["ok"] * 4
    with unit_of_work(db, read_only=True) as s:
        assert len(_events(s, "moderation.repeat_offender")) == 1

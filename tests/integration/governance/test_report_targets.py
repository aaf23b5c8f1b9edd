"""A report names something a buyer could see: a review, a video comment or a live comment that does
not exist, or that only its author still sees, is refused with REPORT_TARGET_NOT_FOUND and leaves
nothing behind; one that is shown is taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.core.storage import LocalDiskStorage
from laotie.governance import service as governance
from laotie.governance.models import Report
from laotie.governance.schemas import ReportIn, TargetKind
from laotie.video import service as video
from tests.factories import make_user
from tests.factories.shops import principal_of
from tests.factories.video import post_video
from tests.integration.governance.helpers import seeded, staff


def _report(session: Session, kind: TargetKind, target_id: int, rule: str) -> None:
    reporter = principal_of(session, make_user(session)[0])
    body = ReportIn(target_kind=kind, target_id=target_id, rule_code=rule, description="辱骂他人")
    governance.submit_report(session, reporter, body)


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        (TargetKind.REVIEW, "REV-04"),
        (TargetKind.VIDEO_COMMENT, "LIV-07"),
        (TargetKind.LIVE_COMMENT, "LIV-07"),
    ],
)
def test_a_missing_target_is_refused(session: Session, kind: TargetKind, rule: str) -> None:
    seeded(session)
    with pytest.raises(AppError) as refused:
        _report(session, kind, 987_654, rule)
    assert refused.value.code == "REPORT_TARGET_NOT_FOUND" and refused.value.status == 404
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_shown_video_comment_is_taken_and_a_hidden_one_is_not(session: Session, tmp_path: Path) -> None:
    seeded(session)
    author, _ = staff(session)
    clip = post_video(session, LocalDiskStorage(tmp_path), author)
    commenter = principal_of(session, make_user(session)[0])
    said = video.comment(session, commenter, clip.id, "你们都是骗子")
    _report(session, TargetKind.VIDEO_COMMENT, said.id, "LIV-07")
    assert session.scalar(select(func.count()).select_from(Report)) == 1
    assert video.hide_comment(session, said.id)
    with pytest.raises(AppError) as refused:
        _report(session, TargetKind.VIDEO_COMMENT, said.id, "LIV-07")
    assert refused.value.code == "REPORT_TARGET_NOT_FOUND"

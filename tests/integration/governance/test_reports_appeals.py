"""Reports answered and rated; appeals once, in time, by another staff member, reversing exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from laotie.governance import service as governance
from laotie.governance.models import Appeal, CaseStatus, PenaltyStatus, Report, ReportStatus
from laotie.governance.schemas import (
    AppealDecideIn,
    AppealIn,
    CaseDecideIn,
    RatingIn,
    ReportDecideIn,
    ReportIn,
)
from laotie.shops import service as shops
from laotie.social import service as social
from laotie.standing import service as standing
from tests.factories import make_user
from tests.factories.catalog import make_listed_product
from tests.factories.shops import make_open_shop, principal_of
from tests.integration.governance.helpers import seeded, staff


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AppError) as refused:
        call()
    return refused.value.code


def test_a_report_is_queued_answered_notified_and_rated(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    buyer_id, _ = make_user(session)
    buyer = principal_of(session, buyer_id)
    # 虚假宣传 needs evidence: none is refused and nothing is written.
    bare = ReportIn(target_kind="product", target_id=product.id, rule_code="PRC-01", description="夸大功效")
    assert _code(lambda: governance.submit_report(session, buyer, bare)) == "EVIDENCE_REQUIRED"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Report)) == 0
    # A rule that does not apply to products is refused too.
    wrong = ReportIn(
        target_kind="product", target_id=product.id, rule_code="LIV-01", links=["https://x.cn/a"]
    )
    assert _code(lambda: governance.submit_report(session, buyer, wrong)) == "REPORT_REASON_NOT_APPLICABLE"
    session.rollback()
    minor = governance.submit_report(
        session,
        buyer,
        ReportIn(target_kind="product", target_id=product.id, rule_code="LST-04", description="堆词"),
    )
    severe = governance.submit_report(
        session,
        buyer,
        ReportIn(
            target_kind="product",
            target_id=product.id,
            rule_code="PRC-01",
            links=["https://example.cn/ad"],
            description="宣称治病",
        ),
    )
    session.commit()
    assert severe.shop_id == shop_id and severe.due_at - severe.created_at == timedelta(hours=24)
    queue = governance.report_queue(session, PageParams(limit=10))
    assert [r.id for r in queue.items] == [severe.id, minor.id]  # the serious one first
    # The reporter may not decide their own report even with the governance role.
    assert (
        _code(
            lambda: governance.decide_report(session, buyer, severe.id, ReportDecideIn(upheld=True, note="x"))
        )
        == "SELF_DECISION"
    )
    session.rollback()
    decider, _ = staff(session)
    out = governance.decide_report(
        session, decider, severe.id, ReportDecideIn(upheld=True, note="宣传与实际不符")
    )
    session.commit()
    assert out.status == ReportStatus.UPHELD and out.case_id is not None
    case = governance.get_case(session, out.case_id)
    assert case.source == "report" and case.shop_id == shop_id and case.product_id == product.id
    inbox = social.inbox(session, buyer, PageParams(limit=5))
    assert inbox.items[0].title.startswith("你的举报已处理")
    assert _code(lambda: governance.rate(session, buyer, minor.id, RatingIn(stars=5))) == "REPORT_NOT_DECIDED"
    session.rollback()
    governance.rate(session, buyer, severe.id, RatingIn(stars=4, comment="处理及时"))
    session.commit()
    assert _code(lambda: governance.rate(session, buyer, severe.id, RatingIn(stars=1))) == "ALREADY_RATED"
    session.rollback()
    figures = governance.dashboard(session)
    assert (
        figures.reports_decided == 1 and figures.answered_in_time_share == 1.0 and figures.satisfaction == 4.0
    )


def _violation(session: Session) -> tuple[int, int, int, Principal, int]:
    seeded(session)
    shop_id, owner_id, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    decider, _ = staff(session)
    case = governance.open_case(
        session,
        source="staff",
        subject_kind="product",
        subject_id=product.id,
        shop_id=shop_id,
        rule_code="PRO-05",
        summary="抽检不合格",
        evidence=["检测报告：菌落总数超标"],
        actor_id=decider.user_id,
    )
    governance.decide_case(session, decider, case.id, CaseDecideIn(violation=True, note="报告为证"))
    session.commit()
    return case.id, shop_id, product.id, decider, owner_id


def test_a_successful_appeal_reverses_the_penalty_exactly(session: Session) -> None:
    case_id, shop_id, product_id, decider, owner_id = _violation(session)
    merchant = principal_of(session, owner_id)
    assert shops.withdrawals_frozen(session, shop_id)
    assert governance.shop_points(session, shop_id).points == 12
    assert standing.restriction(session, standing.SubjectKind.SHOP, shop_id, standing.Effect.NO_NEW_LISTINGS)
    appeal = governance.file_appeal(
        session,
        merchant,
        case_id,
        AppealIn(statement="检测样品非本店发出，附发货记录", links=["https://example.cn/ship"]),
    )
    session.commit()
    assert (
        _code(lambda: governance.file_appeal(session, merchant, case_id, AppealIn(statement="再申诉一次")))
        == "APPEAL_EXISTS"
    )
    session.rollback()
    assert (
        _code(
            lambda: governance.decide_appeal(
                session, decider, appeal.id, AppealDecideIn(upheld=True, note="同一人")
            )
        )
        == "SAME_DECIDER"
    )
    session.rollback()
    other, _ = staff(session)
    governance.decide_appeal(
        session, other, appeal.id, AppealDecideIn(upheld=True, note="样品来源存疑，撤销处罚")
    )
    session.commit()
    case = governance.get_case(session, case_id)
    assert case.status == CaseStatus.REVERSED and all(
        p.status == PenaltyStatus.REVERSED for p in case.penalties
    )
    assert not shops.withdrawals_frozen(session, shop_id)
    assert catalog.inspect_product(session, other, product_id).status.value == "listed"
    assert governance.shop_points(session, shop_id).points == 0
    assert (
        standing.restriction(session, standing.SubjectKind.SHOP, shop_id, standing.Effect.NO_NEW_LISTINGS)
        is None
    )
    titles = [n.title for n in social.inbox(session, merchant, PageParams(limit=5)).items]
    assert titles == ["申诉结果：申诉成立，处罚已撤销", "违规处罚：食品安全问题"]
    trail = [t.action for t in governance.case_trail(session, case_id)]
    assert trail[0] == "opened" and "appealed" in trail and trail[-1] == "reversed"


def test_an_appeal_after_seven_days_is_refused(session: Session) -> None:
    case_id, _, _, _, owner_id = _violation(session)
    merchant = principal_of(session, owner_id)
    with clock.travel(timedelta(days=7, seconds=5)):
        code = _code(
            lambda: governance.file_appeal(session, merchant, case_id, AppealIn(statement="迟到的申诉"))
        )
    assert code == "APPEAL_DEADLINE_PASSED"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Appeal)) == 0
    outsider = principal_of(session, make_user(session)[0])
    assert (
        _code(
            lambda: governance.file_appeal(session, outsider, case_id, AppealIn(statement="这个案件与我无关"))
        )
        == "NOT_CASE_PARTY"
    )

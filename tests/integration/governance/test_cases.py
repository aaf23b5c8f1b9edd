"""Cases: opened from any source, decided by rule version, penalties in force, points and thresholds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.governance import service as governance
from laotie.governance.models import Case, CaseStatus, Penalty, PenaltyStatus
from laotie.governance.schemas import CaseDecideIn, RuleVersionIn
from laotie.shops import service as shops
from laotie.shops.schemas import ShopStatus
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind
from tests.factories.catalog import make_listed_product, owner_principal
from tests.factories.shops import make_open_shop
from tests.integration.governance.helpers import seeded, staff


def _topics(session: Session, prefix: str = "governance.") -> list[str]:
    rows = session.scalars(
        select(OutboxEvent.topic).where(OutboxEvent.topic.like(f"{prefix}%")).order_by(OutboxEvent.id)
    )
    return list(rows)


def test_the_rulebook_is_seeded_once_with_every_category(session: Session) -> None:
    assert governance.seed_rules(session) >= 60
    assert governance.seed_rules(session) == 0
    book = governance.list_rules(session)
    assert {r.category for r in book} >= {
        "onboarding",
        "listing",
        "prohibited",
        "counterfeit",
        "pricing",
        "diversion",
        "reviews",
        "shipping",
        "aftersales",
        "live",
        "creators",
        "disputes",
    }
    assert next(r for r in book if r.code == "CTF-01").violation_kinds == ["counterfeit"]


def test_a_decided_product_case_delists_cuts_traffic_and_counts_points(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    decider, _ = staff(session)
    case = governance.open_case(
        session,
        source="staff",
        subject_kind="product",
        subject_id=product.id,
        shop_id=shop_id,
        rule_code="LST-01",
        summary="实物与描述不符",
        evidence=["买家实拍对比图"],
        actor_id=decider.user_id,
    )
    session.commit()
    assert case.violation_kind == "misdescription" and case.status == CaseStatus.OPEN
    out = governance.decide_case(session, decider, case.id, CaseDecideIn(violation=True, note="核实属实"))
    session.commit()
    assert out.status == CaseStatus.VIOLATION and out.offence == "first" and out.points == 2
    assert catalog.inspect_product(session, decider, product.id).status.value == "delisted"
    with pytest.raises(AppError) as refused:
        catalog.relist(session, owner_principal(session, shop_id), product.id)
    assert refused.value.code == "PRODUCT_HELD_BY_GOVERNANCE"
    session.rollback()
    assert governance.shop_points(session, shop_id).points == 2
    assert _topics(session) == ["governance.violation_confirmed", "governance.case_decided"]
    with pytest.raises(AppError) as again:
        governance.decide_case(session, decider, case.id, CaseDecideIn(violation=False, note="再判"))
    assert again.value.code == "CASE_ALREADY_DECIDED"


def test_a_traffic_cut_lifts_by_itself_and_a_repeat_costs_more(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    decider, _ = staff(session)

    def case_() -> int:
        c = governance.open_case(
            session,
            source="staff",
            subject_kind="shop",
            subject_id=shop_id,
            shop_id=None,
            rule_code="PRC-02",
            summary="活动前提价",
            evidence=[],
            actor_id=decider.user_id,
        )
        governance.decide_case(session, decider, c.id, CaseDecideIn(violation=True, note="价格记录为证"))
        session.commit()
        return c.id

    first = case_()
    traffic = standing.traffic_for_shops(session, [shop_id])[shop_id]
    assert not traffic.distributed
    with clock.travel(timedelta(days=15, minutes=1)):
        assert standing.traffic_for_shops(session, [shop_id])[shop_id].distributed
        assert governance.end_due_penalties(session) == 1
        session.commit()
        second = case_()
        # 16 points this year: no new listings until the year ends, live still allowed.
        assert standing.restriction(session, SubjectKind.SHOP, shop_id, Effect.NO_NEW_LISTINGS) is not None
        assert standing.restriction(session, SubjectKind.SHOP, shop_id, Effect.NO_LIVE) is None
    assert session.get_one(Case, second).offence == "repeat"
    assert session.get_one(Case, second).points == 12
    assert session.get_one(Case, first).points == 4
    ended = session.scalar(
        select(func.count()).select_from(Penalty).where(Penalty.status == PenaltyStatus.ENDED)
    )
    assert ended == 1


def test_no_penalty_on_a_closed_shop(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    decider, _ = staff(session)
    case = governance.open_case(
        session,
        source="staff",
        subject_kind="shop",
        subject_id=shop_id,
        shop_id=shop_id,
        rule_code="SHP-02",
        summary="虚假发货",
        evidence=[],
        actor_id=decider.user_id,
    )
    shops.close(session, shop_id, decider, "测试清退")
    session.commit()
    with pytest.raises(AppError) as refused:
        governance.decide_case(session, decider, case.id, CaseDecideIn(violation=True, note="虚假发货"))
    assert refused.value.code == "PENALTY_SHOP_CLOSED"
    session.rollback()
    assert session.get_one(Case, case.id).status == CaseStatus.OPEN
    assert session.scalar(select(func.count()).select_from(Penalty)) == 0


def test_48_points_freeze_the_shop_and_close_it_after_the_appeal_window(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    decider, _ = staff(session)
    case = governance.open_case(
        session,
        source="staff",
        subject_kind="shop",
        subject_id=shop_id,
        shop_id=shop_id,
        rule_code="DSP-04",
        summary="泄露买家信息",
        evidence=[],
        actor_id=decider.user_id,
    )
    governance.decide_case(session, decider, case.id, CaseDecideIn(violation=True, note="核实"))
    other = governance.open_case(
        session,
        source="staff",
        subject_kind="shop",
        subject_id=shop_id,
        shop_id=shop_id,
        rule_code="PRO-05",
        summary="过期食品",
        evidence=[],
        actor_id=decider.user_id,
    )
    governance.decide_case(session, decider, other.id, CaseDecideIn(violation=True, note="抽检报告"))
    session.commit()
    assert governance.shop_points(session, shop_id).points == 24
    repeat = governance.open_case(
        session,
        source="staff",
        subject_kind="shop",
        subject_id=shop_id,
        shop_id=shop_id,
        rule_code="DSP-04",
        summary="再次泄露",
        evidence=[],
        actor_id=decider.user_id,
    )
    governance.decide_case(session, decider, repeat.id, CaseDecideIn(violation=True, note="再犯"))
    session.commit()
    assert shops.get_shop(session, shop_id).status == ShopStatus.FROZEN
    with clock.travel(timedelta(days=7, minutes=1)):
        assert governance.finish_closures(session) == 1
        session.commit()
    assert shops.get_shop(session, shop_id).status == ShopStatus.CLOSED


def test_a_rule_change_applies_from_its_date_and_old_cases_keep_their_version(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    decider, _ = staff(session)
    old = governance.open_case(
        session,
        source="staff",
        subject_kind="shop",
        subject_id=shop_id,
        shop_id=shop_id,
        rule_code="SHP-01",
        summary="延迟发货",
        evidence=[],
        actor_id=decider.user_id,
    )
    governance.decide_case(session, decider, old.id, CaseDecideIn(violation=True, note="超时"))
    current = governance.get_rule(session, "SHP-01").current
    changed = RuleVersionIn.model_validate(
        {
            **current.model_dump(
                include={"title", "category", "text", "severity", "violation_kinds", "report_kinds"}
            ),
            "penalties": {"first": {"points": 3, "actions": []}, "repeat": {"points": 6, "actions": []}},
            "effective_at": clock.now() + timedelta(days=2),
            "change_note": "提高扣分",
        }
    )
    governance.new_version(session, "SHP-01", changed, decider.user_id)
    session.commit()
    assert governance.get_rule(session, "SHP-01").current.version == 1  # announced, not yet in force
    with clock.travel(timedelta(days=2, minutes=1)):
        other_shop, _, _ = make_open_shop(session)
        new = governance.open_case(
            session,
            source="staff",
            subject_kind="shop",
            subject_id=other_shop,
            shop_id=other_shop,
            rule_code="SHP-01",
            summary="延迟发货",
            evidence=[],
            actor_id=decider.user_id,
        )
        decided = governance.decide_case(session, decider, new.id, CaseDecideIn(violation=True, note="超时"))
        session.commit()
    assert (decided.rule_version, decided.points) == (2, 3)
    assert (
        governance.get_case(session, old.id).rule_version,
        governance.get_case(session, old.id).points,
    ) == (1, 1)
    with pytest.raises(AppError) as past:
        governance.new_version(
            session,
            "SHP-01",
            changed.model_copy(update={"effective_at": clock.now() - timedelta(days=1)}),
            None,
        )
    assert past.value.code == "BAD_RULE"

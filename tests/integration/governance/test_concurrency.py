"""Two staff members deciding one case at once (PostgreSQL, row lock): one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.governance import service as governance
from laotie.governance.models import CaseStatus, Penalty, TrailEntry
from laotie.governance.schemas import AppealDecideIn, AppealIn, CaseDecideIn
from laotie.shops import service as shops
from tests.factories.shops import make_open_shop, principal_of
from tests.integration.governance.helpers import seeded, staff


def test_two_staff_deciding_one_case_at_once_one_wins(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("row locks: PostgreSQL (SQLite writers already take turns)")
    with unit_of_work(db) as session:
        seeded(session)
        shop_id, _, _ = make_open_shop(session)
        first, _ = staff(session)
        second, _ = staff(session)
        case = governance.open_case(
            session,
            source="staff",
            subject_kind="shop",
            subject_id=shop_id,
            shop_id=shop_id,
            rule_code="PRC-02",
            summary="先涨后降",
            evidence=[],
            actor_id=first.user_id,
        )
        session.commit()
        case_id = case.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(principal, violation: bool) -> None:  # type: ignore[no-untyped-def]
        with unit_of_work(db) as s:
            barrier.wait()
            try:
                governance.decide_case(
                    s, principal, case_id, CaseDecideIn(violation=violation, note="并发判定")
                )
                s.commit()
                outcomes.append("decided")
            except AppError as exc:
                s.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=decide, args=(p, v)) for p, v in ((first, True), (second, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["CASE_ALREADY_DECIDED", "decided"]
    with unit_of_work(db) as session:
        decided = governance.get_case(session, case_id)
        penalties = session.scalar(select(func.count()).select_from(Penalty))
        verdicts = session.scalar(
            select(func.count())
            .select_from(TrailEntry)
            .where(TrailEntry.action.in_(("violation_confirmed", "dismissed")))
        )
        assert verdicts == 1
        assert penalties == (
            2 if decided.status == CaseStatus.VIOLATION else 0
        )  # traffic cut and points, or nothing


def test_two_staff_deciding_one_appeal_at_once_reverse_it_once(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("row locks: PostgreSQL (SQLite writers already take turns)")
    with unit_of_work(db) as session:
        seeded(session)
        shop_id, owner_id, _ = make_open_shop(session)
        decider, _ = staff(session)
        first, _ = staff(session)
        second, _ = staff(session)
        case = governance.open_case(
            session,
            source="staff",
            subject_kind="shop",
            subject_id=shop_id,
            shop_id=shop_id,
            rule_code="DIV-02",
            summary="私下交易",
            evidence=[],
            actor_id=decider.user_id,
        )
        governance.decide_case(session, decider, case.id, CaseDecideIn(violation=True, note="聊天记录为证"))
        appeal = governance.file_appeal(
            session, principal_of(session, owner_id), case.id, AppealIn(statement="聊天记录是伪造的")
        )
        session.commit()
        appeal_id = appeal.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(principal, upheld: bool) -> None:  # type: ignore[no-untyped-def]
        with unit_of_work(db) as s:
            barrier.wait()
            try:
                governance.decide_appeal(
                    s, principal, appeal_id, AppealDecideIn(upheld=upheld, note="并发复核")
                )
                s.commit()
                outcomes.append("decided")
            except AppError as exc:
                s.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=decide, args=(p, True)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["APPEAL_ALREADY_DECIDED", "decided"]
    with unit_of_work(db) as session:
        reversals = session.scalar(
            select(func.count()).select_from(TrailEntry).where(TrailEntry.action == "reversed")
        )
        assert reversals == 1
        assert governance.shop_points(session, shop_id).points == 0
        assert not shops.withdrawals_frozen(session, shop_id)

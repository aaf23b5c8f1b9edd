"""Consequences: imposed once, combined for a product and its shop, lifted by score, time or hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.uow import unit_of_work
from laotie.events.standing import ConsequenceImposed, ConsequenceLifted
from laotie.standing import service as standing
from laotie.standing.models import Consequence
from laotie.standing.schemas import Effect, SourceKind, SubjectKind
from tests.factories.races import race

PRODUCT, SHOP = 11, 7


def _cut(session: Session, days: int = 3, subject: SubjectKind = SubjectKind.SHOP, sid: int = SHOP):
    return standing.impose(
        session,
        subject_kind=subject,
        subject_id=sid,
        effect=Effect.DISTRIBUTION_STOPPED,
        source_kind=SourceKind.PENALTY,
        source_key="case:1",
        reason="违规导流，断流3天",
        ends_at=clock.now() + timedelta(days=days),
    )


def _topics(session: Session) -> list[str]:
    return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def test_a_shop_penalty_reaches_its_products_and_lifts_at_its_end(session: Session) -> None:
    _cut(session)
    session.commit()
    traffic = standing.traffic_for_products(session, {PRODUCT: SHOP, 12: 8})
    assert not traffic[PRODUCT].distributed and not traffic[PRODUCT].boosted
    assert traffic[PRODUCT].because[0].source_key == "case:1"
    assert traffic[12].distributed and traffic[12].because == ()
    with clock.travel(timedelta(days=3, seconds=1)):
        # Readers ignore an ended penalty before the job records its lift.
        assert standing.traffic_for_products(session, {PRODUCT: SHOP})[PRODUCT].distributed
        assert standing.lift_expired(session) == 1
        assert standing.lift_expired(session) == 0
    session.commit()
    assert _topics(session) == [ConsequenceImposed.topic, ConsequenceLifted.topic]
    [past] = standing.history(session, SubjectKind.SHOP, SHOP)
    assert past.lifted_reason == "到期自动解除"


def test_imposing_the_same_twice_is_one_consequence_and_a_new_weight_replaces_it(session: Session) -> None:
    first = _cut(session)
    assert _cut(session, days=7).id == first.id

    def weigh(bp: int) -> int:
        return standing.sync(
            session,
            active=True,
            subject_kind=SubjectKind.SHOP,
            subject_id=SHOP,
            effect=Effect.TRAFFIC_WEIGHT,
            source_key="shop_band",
            reason=f"band {bp}",
            value_bp=bp,
        ).id  # type: ignore[union-attr]

    good = weigh(12000)
    assert weigh(12000) == good
    poor = weigh(5000)
    session.commit()
    assert poor != good
    in_force = standing.in_force(session, SubjectKind.SHOP, [SHOP])
    assert sorted(c.id for c in in_force) == sorted([first.id, poor])
    assert standing.history(session, SubjectKind.SHOP, SHOP)[1].lifted_reason == "权重变更"


def test_a_score_consequence_follows_the_score(session: Session) -> None:
    def low(active: bool) -> None:
        standing.sync(
            session,
            active=active,
            subject_kind=SubjectKind.PRODUCT,
            subject_id=PRODUCT,
            effect=Effect.NO_BOOST,
            source_key="product_score",
            reason="商品分 3.1 低于 3.5",
        )

    low(True)
    low(True)
    assert not standing.traffic_for_products(session, {PRODUCT: SHOP})[PRODUCT].boosted
    low(False)
    session.commit()
    assert standing.traffic_for_products(session, {PRODUCT: SHOP})[PRODUCT].boosted
    assert session.scalar(select(func.count()).select_from(Consequence)) == 1
    assert standing.history(session, SubjectKind.PRODUCT, PRODUCT)[0].lifted_reason == "评分已恢复"


def test_weights_multiply_and_effects_combine(session: Session) -> None:
    for subject, sid, bp in ((SubjectKind.SHOP, SHOP, 5000), (SubjectKind.PRODUCT, PRODUCT, 12000)):
        standing.sync(
            session,
            active=True,
            subject_kind=subject,
            subject_id=sid,
            effect=Effect.TRAFFIC_WEIGHT,
            source_key="band",
            reason="band",
            value_bp=bp,
        )
    standing.sync(
        session,
        active=True,
        subject_kind=SubjectKind.PRODUCT,
        subject_id=PRODUCT,
        effect=Effect.NO_ADS,
        source_key="product_score",
        reason="低分",
    )
    t = standing.traffic_for_products(session, {PRODUCT: SHOP})[PRODUCT]
    assert (t.weight_bp, t.distributed, t.boosted, t.advertisable) == (6000, True, True, False)
    assert standing.traffic_for_shops(session, [SHOP, 99])[99].weight_bp == 10_000


def test_lift_by_source_and_restriction(session: Session) -> None:
    standing.impose(
        session,
        subject_kind=SubjectKind.USER,
        subject_id=5,
        effect=Effect.NO_LIVE,
        source_kind=SourceKind.PENALTY,
        source_key="case:9",
        reason="直播间违规",
    )
    assert standing.restriction(session, SubjectKind.USER, 5, Effect.NO_LIVE) is not None
    assert standing.restriction(session, SubjectKind.USER, 5, Effect.NO_ALLIANCE) is None
    [lifted] = standing.lift_source(session, source_key="case:9", reason="申诉成功")
    assert lifted.lifted_reason == "申诉成功"
    assert standing.restriction(session, SubjectKind.USER, 5, Effect.NO_LIVE) is None


@pytest.mark.parametrize(
    ("effect", "value_bp", "days"),
    [(Effect.TRAFFIC_WEIGHT, None, 1), (Effect.NO_ADS, 5000, 1), (Effect.NO_ADS, None, -1)],
)
def test_bad_terms_are_refused_and_write_nothing(
    session: Session, effect: Effect, value_bp: int | None, days: int
) -> None:
    with pytest.raises(AppError) as refused:
        standing.impose(
            session,
            subject_kind=SubjectKind.SHOP,
            subject_id=SHOP,
            effect=effect,
            source_kind=SourceKind.PENALTY,
            source_key="case:2",
            reason="x",
            value_bp=value_bp,
            ends_at=clock.now() + timedelta(days=days),
        )
    assert refused.value.code == "BAD_CONSEQUENCE"
    assert session.scalar(select(func.count()).select_from(Consequence)) == 0


def test_concurrent_impositions_leave_one_in_force(db: Database) -> None:
    ids: list[int] = []
    assert race(db, [lambda s: ids.append(_cut(s).id)] * 6) == ["ok"] * 6
    with unit_of_work(db) as s:
        assert len(set(ids)) == 1
        assert s.scalar(select(func.count()).select_from(Consequence)) == 1
        assert _topics(s) == [ConsequenceImposed.topic]

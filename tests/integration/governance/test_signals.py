"""Cases from the moderation detector (decided by rule when unambiguous) and from scores."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import Event, bus
from laotie.governance.models import Case, CaseStatus
from laotie.standing import service as standing
from tests.factories import make_user
from tests.factories.shops import make_open_shop
from tests.integration.governance.helpers import seeded


def _deliver(session: Session, topic: str, payload: dict[str, object]) -> None:
    for handler in bus.handlers(topic).values():
        handler(session, Event(id=f"t-{topic}", topic=topic, payload=payload, created_at=clock.now()))
    session.commit()


def test_a_merchants_repeated_diversion_is_decided_by_the_rule(session: Session) -> None:
    seeded(session)
    shop_id, owner_id, _ = make_open_shop(session)
    payload = {
        "author_id": owner_id,
        "surface": "live_comment",
        "hit_ids": [1, 2, 3],
        "reasons": ["contact_wechat", "contact_phone"],
        "threshold": 3,
        "window_hours": 24,
    }
    _deliver(session, "moderation.repeat_offender", payload)
    case = session.scalars(select(Case)).one()
    assert (case.source, case.subject_kind, case.shop_id, case.rule_code) == (
        "detector",
        "shop",
        shop_id,
        "DIV-01",
    )
    assert case.status == CaseStatus.VIOLATION and case.decided_by is None and case.points == 2
    assert not standing.traffic_for_shops(session, [shop_id])[shop_id].distributed


def test_mixed_reasons_open_a_case_for_staff_and_a_buyer_is_judged_as_a_user(session: Session) -> None:
    seeded(session)
    buyer_id, _ = make_user(session)
    payload = {
        "author_id": buyer_id,
        "surface": "video_comment",
        "hit_ids": [4, 5, 6],
        "reasons": ["contact_wechat", "prohibited_goods"],
        "threshold": 3,
        "window_hours": 24,
    }
    _deliver(session, "moderation.repeat_offender", payload)
    case = session.scalars(select(Case)).one()
    assert case.subject_kind == "user" and case.user_id == buyer_id and case.status == CaseStatus.OPEN


def test_a_score_below_its_line_opens_one_case_per_subject(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    signal = {
        "score": "quality_return_rate",
        "subject_kind": "product",
        "subject_id": 77,
        "shop_id": shop_id,
        "value": 0.12,
        "threshold": 0.05,
        "direction": "below",
        "at": clock.now().isoformat(),
    }
    _deliver(session, "scores.threshold_crossed", signal)
    _deliver(session, "scores.threshold_crossed", signal)
    _deliver(session, "scores.threshold_crossed", {**signal, "direction": "recovered"})
    [case] = session.scalars(select(Case)).all()
    assert (case.source, case.rule_code, case.product_id, case.shop_id) == ("score", "AFS-04", 77, shop_id)

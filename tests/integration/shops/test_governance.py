from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.shops import service as shops
from laotie.shops.models import ShopStatus
from laotie.shops.schemas import ShopOut
from tests.factories import make_user
from tests.factories.shops import apply_for_shop, make_open_shop, make_reviewer, principal_of, row_counts

Action = Callable[[Session, int, Principal, str], ShopOut]


def _status_changes(session: Session, shop_id: int) -> list[tuple[str, str, str, str]]:
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "ShopStatusChanged").order_by(OutboxEvent.id)
    ).all()
    return [
        (e.payload["from"], e.payload["to"], e.payload["kind"], e.payload["reason"])
        for e in rows
        if e.payload["shop_id"] == shop_id
    ]


def test_restrict_lift_freeze_unfreeze_close_each_leave_a_trail(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    staff, _ = make_reviewer(session)
    steps: list[tuple[Action, str, ShopStatus]] = [
        (shops.restrict, "虚假宣传", ShopStatus.RESTRICTED),
        (shops.lift_restriction, "整改完成", ShopStatus.OPEN),
        (shops.freeze, "涉嫌售假", ShopStatus.FROZEN),
        (shops.unfreeze, "申诉成立", ShopStatus.OPEN),
        (shops.close, "多次严重违规", ShopStatus.CLOSED),
    ]
    for action, reason, expected in steps:
        assert action(session, shop_id, staff, f" {reason} ").status == expected
    trail = shops.events(session, shop_id)[2:]
    assert [(e.kind, e.from_status, e.to_status, e.reason, e.actor_id) for e in trail] == [
        ("restricted", "open", "restricted", "虚假宣传", staff.user_id),
        ("restriction_lifted", "restricted", "open", "整改完成", staff.user_id),
        ("frozen", "open", "frozen", "涉嫌售假", staff.user_id),
        ("unfrozen", "frozen", "open", "申诉成立", staff.user_id),
        ("closed", "open", "closed", "多次严重违规", staff.user_id),
    ]
    assert [c[:3] for c in _status_changes(session, shop_id)] == [
        ("applying", "open", "approved"),
        ("open", "restricted", "restricted"),
        ("restricted", "open", "restriction_lifted"),
        ("open", "frozen", "frozen"),
        ("frozen", "open", "unfrozen"),
        ("open", "closed", "closed"),
    ]
    assert _status_changes(session, shop_id)[-1][3] == "多次严重违规"


def test_unfreezing_returns_to_the_status_the_freeze_found(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    staff, _ = make_reviewer(session)
    shops.restrict(session, shop_id, staff, "延迟发货")
    shops.freeze(session, shop_id, staff, "拒不整改")
    owner = principal_of(session, owner_id)
    with pytest.raises(AppError) as caught:
        shops.require_selling_shop(session, shop_id, owner)
    assert caught.value.code == "SHOP_FROZEN"
    assert shops.unfreeze(session, shop_id, staff, "已缴纳违约金").status == ShopStatus.RESTRICTED
    # A restricted shop still sells.
    assert shops.require_selling_shop(session, shop_id, owner).status == ShopStatus.RESTRICTED


WRONG_MOVES: list[tuple[Action, list[Action]]] = [
    # (action refused, actions that bring an open shop to the state it is refused in)
    (shops.lift_restriction, []),
    (shops.unfreeze, []),
    (shops.restrict, [shops.restrict]),
    (shops.restrict, [shops.freeze]),
    (shops.lift_restriction, [shops.freeze]),
    (shops.freeze, [shops.freeze]),
    (shops.close, [shops.close]),
    (shops.unfreeze, [shops.close]),
]


@pytest.mark.parametrize(("action", "setup"), WRONG_MOVES)
def test_moves_from_the_wrong_state_are_refused_and_record_nothing(
    session: Session, action: Action, setup: list[Action]
) -> None:
    shop_id, _, _ = make_open_shop(session)
    staff, _ = make_reviewer(session)
    for step in setup:
        step(session, shop_id, staff, "准备")
    before = row_counts(session)
    status = shops.get_shop(session, shop_id).status
    with pytest.raises(AppError) as caught:
        action(session, shop_id, staff, "理由")
    assert caught.value.code == "INVALID_TRANSITION"
    assert row_counts(session) == before
    assert shops.get_shop(session, shop_id).status == status


def test_applications_cannot_be_restricted_or_frozen_but_can_be_closed(session: Session) -> None:
    shop_id, _, _ = apply_for_shop(session)
    staff, _ = make_reviewer(session)
    for action in (shops.restrict, shops.freeze):
        with pytest.raises(AppError) as caught:
            action(session, shop_id, staff, "理由")
        assert caught.value.code == "INVALID_TRANSITION"
    assert shops.close(session, shop_id, staff, "冒用他人执照").status == ShopStatus.CLOSED


@pytest.mark.parametrize(
    "action", [shops.restrict, shops.lift_restriction, shops.freeze, shops.unfreeze, shops.close]
)
def test_staff_must_give_a_reason(session: Session, action: Action) -> None:
    shop_id, _, _ = make_open_shop(session)
    staff, _ = make_reviewer(session)
    before = row_counts(session)
    with pytest.raises(AppError) as caught:
        action(session, shop_id, staff, "  ")
    assert caught.value.code == "REASON_REQUIRED"
    assert row_counts(session) == before


def test_owner_closes_their_own_shop_but_not_a_frozen_one(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    staff, _ = make_reviewer(session)
    shops.freeze(session, shop_id, staff, "涉嫌售假")
    with pytest.raises(AppError) as caught:
        shops.close_own(session, owner, shop_id)
    assert caught.value.code == "SHOP_FROZEN"
    shops.unfreeze(session, shop_id, staff, "申诉成立")
    assert shops.close_own(session, owner, shop_id).status == ShopStatus.CLOSED
    last = shops.events(session, shop_id)[-1]
    assert (last.kind, last.actor_id, last.to_status) == ("closed_by_owner", owner_id, "closed")
    with pytest.raises(AppError) as caught:
        shops.require_selling_shop(session, shop_id, owner)
    assert caught.value.code == "SHOP_NOT_OPEN"


def test_only_the_owner_closes(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    other_shop, other_owner_id, _ = make_open_shop(session)
    with pytest.raises(AppError) as caught:
        shops.close_own(session, principal_of(session, other_owner_id), shop_id)
    assert caught.value.code == "NOT_SHOP_MEMBER"
    stranger_id, _ = make_user(session)
    with pytest.raises(AppError):
        shops.close_own(session, principal_of(session, stranger_id), shop_id)
    assert shops.get_shop(session, shop_id).status == ShopStatus.OPEN
    assert shops.get_shop(session, other_shop).status == ShopStatus.OPEN

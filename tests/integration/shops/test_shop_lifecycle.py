from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.shops import service as shops
from laotie.shops.models import ShopStatus
from tests.factories.shops import make_open_shop, principal_of


def test_opened_shop_has_owner_role_and_a_trail(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    assert shops.get_shop(session, shop_id).status == ShopStatus.OPEN
    assert Role.MERCHANT_OWNER in principal_of(session, owner_id).roles
    assert [e.kind for e in shops.events(session, shop_id)] == ["applied", "approved"]


def test_transitions_are_checked_and_recorded(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    shops.transition(session, shop_id, ShopStatus.FROZEN, None, "frozen", "售假")
    with pytest.raises(AppError) as caught:
        shops.transition(session, shop_id, ShopStatus.APPLYING, None, "reapply")
    assert caught.value.code == "INVALID_TRANSITION"
    shops.transition(session, shop_id, ShopStatus.CLOSED, None, "closed")
    with pytest.raises(AppError):
        shops.transition(session, shop_id, ShopStatus.OPEN, None, "reopen")
    trail = shops.events(session, shop_id)
    assert [(e.from_status, e.to_status) for e in trail[-2:]] == [("open", "frozen"), ("frozen", "closed")]

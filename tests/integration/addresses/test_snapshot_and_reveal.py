"""What orders will do with an address: copy it, show it masked, and reveal it only with a trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.errors import RevealRequestInvalid
from laotie.addresses.models import RevealLog
from laotie.addresses.schemas import AddressSnapshot, RevealPurpose
from laotie.core.auth import Role
from laotie.core.errors import AppError
from tests.factories import make_user
from tests.factories.addresses import make_address


def _stored_snapshot(session: Session) -> tuple[int, dict]:
    buyer_id, _ = make_user(session)
    address = make_address(session, buyer_id, recipient="欧阳娜娜")
    return buyer_id, addresses.snapshot(session, buyer_id, address.id).model_dump(mode="json")


def test_snapshot_is_a_full_copy_that_outlives_the_address(session: Session) -> None:
    buyer_id, _ = make_user(session)
    address = make_address(session, buyer_id)
    snap = addresses.snapshot(session, buyer_id, address.id)
    assert (snap.address_id, snap.recipient, snap.phone) == (address.id, "张三", "13800138000")
    assert snap.one_line() == "浙江省杭州市西湖区文三路478号华星时代广场A座1201"
    stored = snap.model_dump(mode="json")

    addresses.delete_address(session, buyer_id, address.id)
    session.commit()
    with pytest.raises(AppError) as caught:
        addresses.snapshot(session, buyer_id, address.id)
    assert caught.value.code == "ADDRESS_NOT_FOUND"
    assert AddressSnapshot.model_validate(stored) == snap
    assert addresses.masked(stored).recipient == "张*"


def test_every_reveal_is_logged(session: Session) -> None:
    _, stored = _stored_snapshot(session)
    merchant_id, _ = make_user(session, Role.MERCHANT_OWNER)
    staff_id, _ = make_user(session, Role.MERCHANT_STAFF)

    full = addresses.reveal_for_shipping(
        session, stored, actor_user_id=merchant_id, shop_id=11, order_ref="O-1001", purpose="shipping_label"
    )
    assert full.phone == "13800138000" and full.recipient == "欧阳娜娜"
    addresses.reveal_for_shipping(
        session,
        AddressSnapshot.model_validate(stored),
        actor_user_id=staff_id,
        shop_id=11,
        order_ref="O-1001",
        purpose=RevealPurpose.CARRIER_PICKUP,
    )
    addresses.reveal_for_shipping(
        session, stored, actor_user_id=merchant_id, shop_id=12, order_ref="O-2002", purpose="after_sales"
    )
    session.commit()

    by_shop = addresses.reveal_log(session, shop_id=11)
    assert [(e.actor_user_id, e.order_ref, e.purpose) for e in by_shop] == [
        (merchant_id, "O-1001", RevealPurpose.SHIPPING_LABEL),
        (staff_id, "O-1001", RevealPurpose.CARRIER_PICKUP),
    ]
    assert all(e.address_id == stored["address_id"] and e.province_code == "330000" for e in by_shop)
    assert all(e.at is not None for e in by_shop)
    assert [e.shop_id for e in addresses.reveal_log(session, order_ref="O-2002")] == [12]
    assert addresses.reveal_log(session, shop_id=11, order_ref="O-2002") == []


@pytest.mark.parametrize(
    ("order_ref", "purpose"), [("", "shipping_label"), ("   ", "shipping_label"), ("O-1", "curiosity")]
)
def test_a_reveal_without_an_order_or_a_known_purpose_reveals_and_logs_nothing(
    session: Session, order_ref: str, purpose: str
) -> None:
    _, stored = _stored_snapshot(session)
    merchant_id, _ = make_user(session, Role.MERCHANT_OWNER)
    with pytest.raises(RevealRequestInvalid):
        addresses.reveal_for_shipping(
            session, stored, actor_user_id=merchant_id, shop_id=1, order_ref=order_ref, purpose=purpose
        )
    session.commit()
    assert session.scalar(select(func.count()).select_from(RevealLog)) == 0
    with pytest.raises(RevealRequestInvalid):
        addresses.reveal_log(session)

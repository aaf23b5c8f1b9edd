from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.models import Address
from laotie.addresses.schemas import AddressCreate, AddressIn
from laotie.core import clock
from laotie.core.errors import AppError
from tests.factories import make_user
from tests.factories.addresses import BEIJING_CHAOYANG, URUMQI_TIANSHAN, address_body, make_address


def _rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Address)) or 0


def _defaults(session: Session, user_id: int) -> list[int]:
    return [a.id for a in addresses.list_addresses(session, user_id) if a.is_default]


def test_codes_in_names_copied_phone_normalised(session: Session) -> None:
    user_id, _ = make_user(session)
    out = make_address(session, user_id, phone="+86 138-0013-8000", recipient="  李四 ", **BEIJING_CHAOYANG)
    assert out.phone == "13800138000"
    assert out.recipient == "李四"
    assert (out.province_name, out.city_name, out.district_name) == ("北京市", "北京市", "朝阳区")
    assert out.is_default and not out.remote
    assert make_address(session, user_id, **URUMQI_TIANSHAN).remote


def test_exactly_one_default_through_create_switch_and_delete(session: Session) -> None:
    user_id, _ = make_user(session)
    first = make_address(session, user_id)
    second = make_address(session, user_id, recipient="李四")
    assert _defaults(session, user_id) == [first.id]
    third = make_address(session, user_id, recipient="王五", is_default=True)
    assert _defaults(session, user_id) == [third.id]
    assert addresses.list_addresses(session, user_id)[0].id == third.id  # the default is listed first

    addresses.set_default(session, user_id, first.id)
    session.commit()
    assert _defaults(session, user_id) == [first.id]

    with clock.travel(timedelta(minutes=1)):
        addresses.update_address(session, user_id, second.id, AddressIn(**address_body(recipient="李四四")))
    addresses.delete_address(session, user_id, first.id)
    session.commit()
    # The default went: the most recently changed remaining address takes its place.
    assert _defaults(session, user_id) == [second.id]
    addresses.delete_address(session, user_id, second.id)
    addresses.delete_address(session, user_id, third.id)
    session.commit()
    assert addresses.list_addresses(session, user_id) == []
    assert addresses.default_address(session, user_id) is None
    assert _rows(session) == 3  # soft-deleted, not removed


def test_update_replaces_contents_but_not_the_default(session: Session) -> None:
    user_id, _ = make_user(session)
    first = make_address(session, user_id)
    with clock.travel(timedelta(minutes=5)):
        out = addresses.update_address(
            session, user_id, first.id, AddressIn(**address_body(detail="建国路88号", **BEIJING_CHAOYANG))
        )
    session.commit()
    assert (out.city_name, out.district_name, out.detail) == ("北京市", "朝阳区", "建国路88号")
    assert out.is_default
    assert out.updated_at > first.updated_at
    assert out.created_at == first.created_at


def test_at_most_twenty_addresses(session: Session) -> None:
    user_id, _ = make_user(session)
    made = [make_address(session, user_id, detail=f"文三路{i}号") for i in range(addresses.MAX_ADDRESSES)]
    with pytest.raises(AppError) as caught:
        addresses.create_address(session, user_id, AddressCreate(**address_body()))
    assert caught.value.code == "ADDRESS_LIMIT"
    session.commit()
    assert _rows(session) == 20
    addresses.delete_address(session, user_id, made[3].id)
    make_address(session, user_id)
    assert len(addresses.list_addresses(session, user_id)) == 20


def test_another_users_address_is_not_found_and_untouched(session: Session) -> None:
    owner_id, _ = make_user(session)
    other_id, _ = make_user(session)
    mine = make_address(session, owner_id)
    calls = [
        lambda: addresses.get_address(session, other_id, mine.id),
        lambda: addresses.update_address(
            session, other_id, mine.id, AddressIn(**address_body(detail="X路1号"))
        ),
        lambda: addresses.set_default(session, other_id, mine.id),
        lambda: addresses.delete_address(session, other_id, mine.id),
        lambda: addresses.snapshot(session, other_id, mine.id),
    ]
    for call in calls:
        with pytest.raises(AppError) as caught:
            call()
        assert caught.value.code == "ADDRESS_NOT_FOUND"
        assert caught.value.status == 404
    session.commit()
    assert addresses.get_address(session, owner_id, mine.id) == mine
    assert addresses.list_addresses(session, other_id) == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phone": "12345"}, "INVALID_PHONE"),
        ({"phone": "23800138000"}, "INVALID_PHONE"),
        ({"province_code": "999999"}, "INVALID_REGION"),
        ({"district_code": None}, "INVALID_REGION"),
        ({"district_code": "110105"}, "INVALID_REGION"),
        ({"city_code": "650100"}, "INVALID_REGION"),
    ],
)
def test_bad_input_writes_nothing(session: Session, overrides: dict, code: str) -> None:
    user_id, _ = make_user(session)
    with pytest.raises(AppError) as caught:
        addresses.create_address(session, user_id, AddressCreate(**address_body(**overrides)))
    assert caught.value.code == code
    session.commit()
    assert _rows(session) == 0

    kept = make_address(session, user_id)
    with pytest.raises(AppError) as caught:
        addresses.update_address(session, user_id, kept.id, AddressIn(**address_body(**overrides)))
    assert caught.value.code == code
    session.commit()
    assert addresses.get_address(session, user_id, kept.id) == kept


def test_the_database_itself_refuses_a_second_live_default(session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    user_id, _ = make_user(session)
    first = make_address(session, user_id)
    row = session.get(Address, first.id)
    assert row is not None
    clone = Address(
        **{c.name: getattr(row, c.name) for c in Address.__table__.columns if c.name != "id"},
    )
    session.add(clone)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert _rows(session) == 1

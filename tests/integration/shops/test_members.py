from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.shops import members as members_module
from laotie.shops import service as shops
from laotie.shops.models import MemberRole
from tests.factories import make_user
from tests.factories.shops import make_open_shop, principal_of, row_counts


def _phone(session: Session, user_id: int) -> str:
    phone = accounts.get_user_out(session, user_id).phone
    assert phone is not None
    return phone


def test_owner_adds_staff_by_phone_and_staff_work_on_the_shop(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    staff_id, _ = make_user(session, nickname="小助手")
    phone = _phone(session, staff_id)
    spelled = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
    added = shops.add_staff(session, principal_of(session, owner_id), shop_id, spelled)
    assert (added.user_id, added.role, added.nickname) == (staff_id, MemberRole.STAFF, "小助手")
    assert added.phone == f"{phone[:3]}****{phone[-4:]}"
    staff = principal_of(session, staff_id)
    assert Role.MERCHANT_STAFF in staff.roles
    assert shops.require_selling_shop(session, shop_id, staff).id == shop_id
    assert [s.id for s in shops.shops_of(session, staff_id)] == [shop_id]
    listed = shops.list_members(session, staff, shop_id)
    assert [(m.user_id, m.role) for m in listed] == [
        (owner_id, MemberRole.OWNER),
        (staff_id, MemberRole.STAFF),
    ]
    last = shops.events(session, shop_id)[-1]
    assert (last.kind, last.actor_id, last.data) == (
        "member_added",
        owner_id,
        {"user_id": staff_id, "role": "staff"},
    )


def test_bad_member_additions_are_refused_and_write_nothing(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    staff_id, _ = make_user(session)
    shops.add_staff(session, owner, shop_id, _phone(session, staff_id))
    outsider_id, _ = make_user(session)
    session.commit()
    before = row_counts(session)
    cases = [
        (owner, "13712345678", "USER_NOT_FOUND"),
        (owner, "12345", "INVALID_PHONE"),
        (owner, _phone(session, staff_id), "ALREADY_MEMBER"),
        (owner, _phone(session, owner_id), "ALREADY_MEMBER"),
        (principal_of(session, staff_id), _phone(session, outsider_id), "NOT_SHOP_OWNER"),
        (principal_of(session, outsider_id), _phone(session, outsider_id), "NOT_SHOP_MEMBER"),
    ]
    for who, phone, code in cases:
        with pytest.raises(AppError) as caught:
            shops.add_staff(session, who, shop_id, phone)
        assert caught.value.code == code, phone
    assert row_counts(session) == before
    assert Role.MERCHANT_STAFF not in principal_of(session, outsider_id).roles


def test_staff_number_is_capped(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members_module, "MAX_STAFF", 1)
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    first, second = make_user(session)[0], make_user(session)[0]
    shops.add_staff(session, owner, shop_id, _phone(session, first))
    with pytest.raises(AppError) as caught:
        shops.add_staff(session, owner, shop_id, _phone(session, second))
    assert (caught.value.code, caught.value.details) == ("TOO_MANY_MEMBERS", {"limit": 1})


def test_removing_staff_takes_the_role_only_when_they_work_nowhere_else(session: Session) -> None:
    shop_a, owner_a, _ = make_open_shop(session)
    shop_b, owner_b, _ = make_open_shop(session)
    staff_id, _ = make_user(session)
    shops.add_staff(session, principal_of(session, owner_a), shop_a, _phone(session, staff_id))
    shops.add_staff(session, principal_of(session, owner_b), shop_b, _phone(session, staff_id))
    shops.remove_staff(session, principal_of(session, owner_a), shop_a, staff_id)
    staff = principal_of(session, staff_id)
    assert Role.MERCHANT_STAFF in staff.roles
    with pytest.raises(AppError) as caught:
        shops.require_shop_member(session, shop_a, staff)
    assert caught.value.code == "NOT_SHOP_MEMBER"
    shops.remove_staff(session, principal_of(session, owner_b), shop_b, staff_id)
    assert Role.MERCHANT_STAFF not in principal_of(session, staff_id).roles
    assert [e.kind for e in shops.events(session, shop_a)][-2:] == ["member_added", "member_removed"]


def test_bad_removals(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    staff_id, _ = make_user(session)
    shops.add_staff(session, owner, shop_id, _phone(session, staff_id))
    stranger_id, _ = make_user(session)
    before = row_counts(session)
    cases = [
        (owner, owner_id, "CANNOT_REMOVE_OWNER"),
        (owner, stranger_id, "MEMBER_NOT_FOUND"),
        (principal_of(session, staff_id), owner_id, "NOT_SHOP_OWNER"),
    ]
    for who, user_id, code in cases:
        with pytest.raises(AppError) as caught:
            shops.remove_staff(session, who, shop_id, user_id)
        assert caught.value.code == code
    assert row_counts(session) == before


def test_closed_shops_take_no_new_staff(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    shops.close_own(session, owner, shop_id)
    staff_id, _ = make_user(session)
    with pytest.raises(AppError) as caught:
        shops.add_staff(session, owner, shop_id, _phone(session, staff_id))
    assert caught.value.code == "SHOP_CLOSED"

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.shops import service as shops
from laotie.shops.models import MemberRole, ReviewState, ShopStatus
from tests.factories import make_user
from tests.factories.shops import (
    application,
    apply_for_shop,
    licence_number,
    make_reviewer,
    principal_of,
    row_counts,
)


def _leaf(session: Session) -> int:
    return categories.leaf_ids(session)[0]


def test_apply_normalises_details_and_waits_for_review(session: Session) -> None:
    owner_id, _ = make_user(session)
    body = application(
        _leaf(session),
        1,
        name="  东北  山货 源头店 ",
        licence_number=" " + licence_number(1).lower(),
        contact_phone="+86 139-0000-0000",
    )
    out = shops.apply(session, principal_of(session, owner_id), body)
    session.commit()
    assert (out.status, out.review_state) == (ShopStatus.APPLYING, ReviewState.PENDING)
    assert out.name == "东北 山货 源头店"
    assert out.licence_number == licence_number(1)
    assert out.contact_phone == "13900000000"
    assert out.submitted_at == out.created_at
    assert shops.member_role(session, out.id, owner_id) == MemberRole.OWNER
    assert [e.kind for e in shops.events(session, out.id)] == ["applied"]
    # Applying makes nobody a merchant yet.
    assert Role.MERCHANT_OWNER not in principal_of(session, owner_id).roles


def test_person_needs_no_licence_and_company_needs_a_91_code(session: Session) -> None:
    person_id, _ = make_user(session)
    out = shops.apply(
        session,
        principal_of(session, person_id),
        application(_leaf(session), 2, entity_type="person", licence_number=None),
    )
    assert out.licence_number is None
    company_id, _ = make_user(session)
    code = licence_number(3, "company")
    out = shops.apply(
        session,
        principal_of(session, company_id),
        application(_leaf(session), 3, entity_type="company", licence_number=code),
    )
    assert out.licence_number == code and code.startswith("91")


def _wrong_check_character(n: int) -> str:
    code = licence_number(n)
    return code[:17] + ("1" if code[17] != "1" else "2")


BAD_APPLICATIONS: list[tuple[dict[str, Any], str]] = [
    ({"licence_number": None}, "LICENCE_REQUIRED"),
    ({"licence_number": "   "}, "LICENCE_REQUIRED"),
    ({"entity_type": "company", "licence_number": None}, "LICENCE_REQUIRED"),
    ({"licence_number": _wrong_check_character(7)}, "INVALID_LICENCE"),
    ({"licence_number": "92110000MA0000007"}, "INVALID_LICENCE"),
    ({"licence_number": "ABCDEFGHIJKLMNOPQR"}, "INVALID_LICENCE"),
    ({"entity_type": "company"}, "LICENCE_ENTITY_MISMATCH"),
    ({"entity_type": "person"}, "LICENCE_NOT_ALLOWED"),
    ({"contact_phone": "12345"}, "INVALID_PHONE"),
    ({"contact_phone": "23900000000"}, "INVALID_PHONE"),
    ({"main_category_id": 999_999}, "CATEGORY_NOT_FOUND"),
    ({"name": "  店  "}, "VALIDATION_ERROR"),
    ({"legal_name": " 王 "}, "VALIDATION_ERROR"),
]


@pytest.mark.parametrize(("overrides", "code"), BAD_APPLICATIONS)
def test_bad_applications_are_refused_and_write_nothing(
    session: Session, overrides: dict[str, Any], code: str
) -> None:
    owner_id, _ = make_user(session)
    before = row_counts(session)
    with pytest.raises(AppError) as caught:
        shops.apply(session, principal_of(session, owner_id), application(_leaf(session), 7, **overrides))
    assert caught.value.code == code
    assert caught.value.status in (404, 422)
    assert row_counts(session) == before


def test_names_and_licence_numbers_are_unique(session: Session) -> None:
    shop_id, _, _ = apply_for_shop(session, name="Laotie Fresh", licence_number=licence_number(11))
    before = row_counts(session)
    other_id, _ = make_user(session)
    other = principal_of(session, other_id)
    cases = [
        ({"name": "  laotie   FRESH "}, "SHOP_NAME_TAKEN"),
        ({"licence_number": licence_number(11).lower()}, "DUPLICATE_LICENCE"),
    ]
    for overrides, code in cases:
        body = application(_leaf(session), 12, **overrides)
        with pytest.raises(AppError) as caught:
            shops.apply(session, other, body)
        assert caught.value.code == code
        assert caught.value.status == 409
    assert row_counts(session) == before
    # A different name and licence go through.
    assert shops.apply(session, other, application(_leaf(session), 12)).id != shop_id


def test_one_application_in_progress_per_person(session: Session) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    owner = principal_of(session, owner_id)
    with pytest.raises(AppError) as caught:
        shops.apply(session, owner, application(_leaf(session), 21))
    assert caught.value.code == "ALREADY_APPLIED"
    reviewer, _ = make_reviewer(session)
    shops.reject(session, shop_id, reviewer, "执照照片不清晰")
    # A rejected application is still in progress: it is corrected and resubmitted, not replaced.
    with pytest.raises(AppError) as caught:
        shops.apply(session, owner, application(_leaf(session), 21))
    assert caught.value.code == "ALREADY_APPLIED"
    shops.close_own(session, owner, shop_id, "不开了")
    assert [e.kind for e in shops.events(session, shop_id)][-1] == "withdrawn"
    assert shops.apply(session, owner, application(_leaf(session), 21)).status == ShopStatus.APPLYING


def test_an_open_shop_does_not_stop_a_second_application(session: Session) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    shops.approve(session, shop_id, reviewer)
    second = shops.apply(session, principal_of(session, owner_id), application(_leaf(session), 31))
    assert [s.id for s in shops.shops_of(session, owner_id)] == [shop_id, second.id]


def test_resubmission_after_rejection(session: Session) -> None:
    shop_id, owner_id, _ = apply_for_shop(session, name="错别字小店")
    owner = principal_of(session, owner_id)
    reviewer, _ = make_reviewer(session)
    shop = shops.get_shop(session, shop_id)
    with pytest.raises(AppError) as caught:
        shops.resubmit(session, owner, shop_id, application(shop.main_category_id, 41))
    assert caught.value.code == "APPLICATION_NOT_EDITABLE"

    shops.reject(session, shop_id, reviewer, "店铺名称含错别字")
    private = shops.shops_of(session, owner_id)[0]
    assert (private.review_state, private.review_reason) == (ReviewState.REJECTED, "店铺名称含错别字")
    with clock.travel(timedelta(hours=2)):
        body = application(
            shop.main_category_id, 41, name="东北山货小店", licence_number=private.licence_number
        )
        out = shops.resubmit(session, owner, shop_id, body)
    assert (out.status, out.review_state, out.review_reason) == (ShopStatus.APPLYING, ReviewState.PENDING, "")
    assert out.name == "东北山货小店"
    assert out.submitted_at - out.created_at >= timedelta(hours=2)
    last = shops.events(session, shop_id)[-1]
    assert last.kind == "resubmitted" and last.actor_id == owner_id
    assert last.data["changes"]["name"] == ["错别字小店", "东北山货小店"]
    assert "licence_number" not in last.data["changes"]
    assert last.data["rejected_for"] == "店铺名称含错别字"
    # Back in the queue, so a second resubmission waits for the next decision.
    with pytest.raises(AppError) as caught:
        shops.resubmit(session, owner, shop_id, body)
    assert caught.value.code == "APPLICATION_NOT_EDITABLE"


def test_bad_resubmission_changes_nothing(session: Session) -> None:
    taken_id, _, _ = apply_for_shop(session, name="已占用的名字")
    shop_id, owner_id, _ = apply_for_shop(session, name="原来的名字")
    reviewer, _ = make_reviewer(session)
    shops.reject(session, shop_id, reviewer, "资料不全")
    session.commit()
    owner = principal_of(session, owner_id)
    before = row_counts(session)
    category_id = shops.get_shop(session, shop_id).main_category_id
    for overrides, code in [
        ({"name": "已占用的名字"}, "SHOP_NAME_TAKEN"),
        ({"contact_phone": "123"}, "INVALID_PHONE"),
        ({"entity_type": "person"}, "LICENCE_NOT_ALLOWED"),
    ]:
        with pytest.raises(AppError) as caught:
            shops.resubmit(session, owner, shop_id, application(category_id, 51, **overrides))
        assert caught.value.code == code
    assert row_counts(session) == before
    session.rollback()
    shop = shops.shops_of(session, owner_id)[0]
    assert (shop.name, shop.review_state) == ("原来的名字", ReviewState.REJECTED)
    assert taken_id != shop_id


def test_only_the_owner_resubmits(session: Session) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    shops.reject(session, shop_id, reviewer, "资料不全")
    stranger_id, _ = make_user(session)
    category_id = shops.get_shop(session, shop_id).main_category_id
    with pytest.raises(AppError) as caught:
        shops.resubmit(session, principal_of(session, stranger_id), shop_id, application(category_id, 61))
    # An application is not public: to a stranger it does not exist.
    assert caught.value.code == "SHOP_NOT_FOUND"
    helper_id, _ = make_user(session)
    helper_phone = accounts.get_user_out(session, helper_id).phone or ""
    shops.add_staff(session, principal_of(session, owner_id), shop_id, helper_phone)
    with pytest.raises(AppError) as caught:
        shops.resubmit(session, principal_of(session, helper_id), shop_id, application(category_id, 61))
    assert caught.value.code == "NOT_SHOP_OWNER"


def test_a_race_lost_at_the_database_still_gets_a_clean_409(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laotie.shops import application as module

    apply_for_shop(session, licence_number=licence_number(71))
    real_check = module._check_unique
    calls = iter([False, True])

    def check_that_misses_once(*args: Any, **kwargs: Any) -> None:
        # The first check runs "before the other application committed" and sees nothing.
        if next(calls):
            real_check(*args, **kwargs)

    monkeypatch.setattr(module, "_check_unique", check_that_misses_once)
    other_id, _ = make_user(session)
    before = row_counts(session)
    with pytest.raises(AppError) as caught:
        shops.apply(
            session,
            principal_of(session, other_id),
            application(_leaf(session), 72, licence_number=licence_number(71)),
        )
    assert caught.value.code == "DUPLICATE_LICENCE"
    # The savepoint kept the transaction usable.
    assert row_counts(session) == before

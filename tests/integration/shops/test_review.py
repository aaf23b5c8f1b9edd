from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.pagination import PageParams
from laotie.core.storage import LocalDiskStorage
from laotie.shops import service as shops
from laotie.shops.documents import today_in_china
from laotie.shops.models import ReviewState, ShopStatus
from laotie.shops.schemas import ShopApply, ShopPrivateOut
from tests.factories.shops import (
    apply_for_shop,
    category_named,
    make_reviewer,
    pdf_bytes,
    principal_of,
    row_counts,
)


def test_queue_serves_the_longest_waiting_first_and_pages(session: Session) -> None:
    reviewer, _ = make_reviewer(session)
    ids = []
    for hours in range(4):
        with clock.travel(timedelta(hours=hours)):
            ids.append(apply_for_shop(session)[0])
    first_page = shops.review_queue(session, PageParams(limit=2, offset=0))
    assert [s.id for s in first_page.items] == ids[:2]
    assert first_page.total == 4
    assert [s.id for s in shops.review_queue(session, PageParams(limit=2, offset=2)).items] == ids[2:]

    shops.approve(session, ids[0], reviewer)
    shops.reject(session, ids[1], reviewer, "执照模糊")
    queue = shops.review_queue(session, PageParams(limit=10, offset=0))
    assert [s.id for s in queue.items] == ids[2:] and queue.total == 2
    # A corrected application joins the back of the queue.
    rejected = shops.review_detail(session, ids[1]).shop
    with clock.travel(timedelta(hours=10)):
        shops.resubmit(session, principal_of(session, rejected.owner_id), ids[1], _same_details(rejected))
    assert [s.id for s in shops.review_queue(session, PageParams()).items] == [ids[2], ids[3], ids[1]]


def _same_details(shop: ShopPrivateOut) -> ShopApply:
    return ShopApply(
        name=shop.name,
        main_category_id=shop.main_category_id,
        entity_type=shop.entity_type,
        legal_name=shop.legal_name,
        licence_number=shop.licence_number,
        contact_phone=shop.contact_phone,
    )


def test_approval_needs_the_main_categorys_qualifications(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_id, owner_id, _ = apply_for_shop(session, category_named(session, "食品饮料"))
    owner = principal_of(session, owner_id)
    reviewer, _ = make_reviewer(session)
    queued = shops.review_queue(session, PageParams()).items[0]
    assert (queued.required_documents, queued.missing_documents) == (["food_license"], ["food_license"])

    before = row_counts(session)
    with pytest.raises(AppError) as caught:
        shops.approve(session, shop_id, reviewer)
    assert (caught.value.code, caught.value.status) == ("MISSING_QUALIFICATIONS", 409)
    assert caught.value.details["missing"] == ["food_license"]
    assert "食品经营许可证" in caught.value.message("zh")
    assert row_counts(session) == before
    assert shops.get_shop(session, shop_id).status == ShopStatus.APPLYING

    # Other documents do not stand in for the required one.
    shops.upload(
        session, storage, owner, shop_id, kind="business_license", filename="a.pdf", data=pdf_bytes()
    )
    with pytest.raises(AppError):
        shops.approve(session, shop_id, reviewer)
    # A document that has expired since it was uploaded does not count either.
    shops.upload(
        session,
        storage,
        owner,
        shop_id,
        kind="food_license",
        filename="food.pdf",
        data=pdf_bytes(),
        expires_on=today_in_china() + timedelta(days=1),
    )
    with clock.travel(timedelta(days=3)):
        assert shops.missing_documents(session, shop_id) == ["food_license"]
        with pytest.raises(AppError) as caught:
            shops.approve(session, shop_id, reviewer)
        assert caught.value.code == "MISSING_QUALIFICATIONS"
    out = shops.approve(session, shop_id, reviewer, "资质齐全")
    assert (out.status, out.review_state) == (ShopStatus.OPEN, ReviewState.APPROVED)
    assert out.opened_at is not None
    assert Role.MERCHANT_OWNER in principal_of(session, owner_id).roles
    changed = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "ShopStatusChanged")).all()
    assert [(e.payload["from"], e.payload["to"], e.payload["actor_id"]) for e in changed] == [
        ("applying", "open", reviewer.user_id)
    ]


def test_reject_needs_a_reason_and_a_pending_application(session: Session) -> None:
    shop_id, _, _ = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    before = row_counts(session)
    with pytest.raises(AppError) as caught:
        shops.reject(session, shop_id, reviewer, "   ")
    assert caught.value.code == "REASON_REQUIRED"
    assert row_counts(session) == before
    out = shops.reject(session, shop_id, reviewer, "  法人姓名与执照不符 ")
    assert (out.review_state, out.review_reason) == (ReviewState.REJECTED, "法人姓名与执照不符")
    last = shops.events(session, shop_id)[-1]
    assert (last.kind, last.reason, last.actor_id) == ("rejected", "法人姓名与执照不符", reviewer.user_id)
    for decide in (
        lambda: shops.reject(session, shop_id, reviewer, "again"),
        lambda: shops.approve(session, shop_id, reviewer),
    ):
        with pytest.raises(AppError) as caught:
            decide()
        assert caught.value.code == "INVALID_TRANSITION"


def test_an_open_shop_cannot_be_approved_or_rejected_again(session: Session) -> None:
    shop_id, _, _ = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    shops.approve(session, shop_id, reviewer)
    for decide in (
        lambda: shops.approve(session, shop_id, reviewer),
        lambda: shops.reject(session, shop_id, reviewer, "太晚了"),
    ):
        with pytest.raises(AppError) as caught:
            decide()
        assert caught.value.code == "INVALID_TRANSITION"
    assert [e.kind for e in shops.events(session, shop_id)] == ["applied", "approved"]


def test_review_detail_has_documents_members_and_the_whole_trail(session: Session, tmp_path: Path) -> None:
    shop_id, owner_id, _ = apply_for_shop(session, category_named(session, "食品饮料"))
    owner = principal_of(session, owner_id)
    reviewer, _ = make_reviewer(session)
    shops.reject(session, shop_id, reviewer, "缺少食品经营许可证")
    storage = LocalDiskStorage(tmp_path)
    shops.upload(session, storage, owner, shop_id, kind="food_license", filename="f.pdf", data=pdf_bytes())
    detail = shops.review_detail(session, shop_id)
    assert detail.category_path == ["食品饮料"]
    assert (detail.required_documents, detail.missing_documents) == (["food_license"], [])
    assert [d.kind for d in detail.documents] == ["food_license"]
    assert [(m.user_id, m.role.value) for m in detail.members] == [(owner_id, "owner")]
    assert detail.members[0].phone is not None and "****" in detail.members[0].phone
    assert [e.kind for e in detail.events] == ["applied", "rejected", "document_uploaded"]
    assert detail.shop.licence_number is not None


def test_staff_list_shops_by_status(session: Session) -> None:
    applying_id, _, _ = apply_for_shop(session)
    open_id, _, _ = apply_for_shop(session)
    reviewer, _ = make_reviewer(session)
    shops.approve(session, open_id, reviewer)
    assert [s.id for s in shops.list_shops(session, PageParams(), ShopStatus.OPEN).items] == [open_id]
    everything = shops.list_shops(session, PageParams(), None)
    assert [s.id for s in everything.items] == [open_id, applying_id] and everything.total == 2

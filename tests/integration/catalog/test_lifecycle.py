"""Product states move only through named transitions, each recorded and announced."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import ProductStatus
from laotie.catalog.schemas import ProductUpdate
from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.pagination import PageParams
from laotie.shops import service as shops
from laotie.shops.models import ShopStatus
from tests.factories import make_user
from tests.factories.catalog import make_listed_product, make_product, owner_principal, reviewer_principal
from tests.factories.shops import make_open_shop, principal_of

PAGE = PageParams(limit=50)
S = ProductStatus


def _shelf_ids(session: Session) -> list[int]:
    return [c.id for c in catalog.list_listed(session, PAGE).items]


def test_draft_to_listed_to_delisted_and_back(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    product = make_product(session, shop_id)

    assert catalog.submit_for_review(session, owner, product.id).status == S.IN_REVIEW
    assert [p.id for p in catalog.review_queue(session, PAGE).items] == [product.id]
    assert _shelf_ids(session) == []
    listed = catalog.approve(session, reviewer, product.id, "合规")
    assert listed.status == S.LISTED and listed.listed_at is not None
    assert _shelf_ids(session) == [product.id] and catalog.review_queue(session, PAGE).total == 0
    assert catalog.delist(session, owner, product.id).status == S.DELISTED
    assert _shelf_ids(session) == []
    relisted = catalog.relist(session, owner, product.id)
    assert relisted.status == S.LISTED and relisted.listed_at == listed.listed_at
    session.commit()

    trail = catalog.product_events(session, owner, product.id)
    assert [(e.kind, e.from_status, e.to_status, e.actor_id) for e in trail] == [
        ("created", None, None, owner_id),
        ("submitted", "draft", "in_review", owner_id),
        ("approved", "in_review", "listed", reviewer.user_id),
        ("delisted", "listed", "delisted", owner_id),
        ("relisted", "delisted", "listed", owner_id),
    ]
    announced = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "ProductStatusChanged").order_by(OutboxEvent.id)
    ).all()
    assert [(e.payload["from"], e.payload["to"]) for e in announced] == [
        ("draft", "in_review"),
        ("in_review", "listed"),
        ("listed", "delisted"),
        ("delisted", "listed"),
    ]


def test_rejection_needs_a_reason_and_the_merchant_may_resubmit(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    product = make_product(session, shop_id)
    catalog.submit_for_review(session, owner, product.id)
    with pytest.raises(AppError) as caught:
        catalog.reject(session, reviewer, product.id, "  ")
    assert caught.value.code == "REASON_REQUIRED"
    rejected = catalog.reject(session, reviewer, product.id, "标题含极限词“最”")
    assert (rejected.status, rejected.review_reason) == (S.REJECTED, "标题含极限词“最”")
    assert _shelf_ids(session) == []
    catalog.update_product(session, owner, product.id, ProductUpdate(title="东北黑木耳"))
    assert catalog.get_product(session, owner, product.id).status == S.REJECTED
    assert catalog.submit_for_review(session, owner, product.id).status == S.IN_REVIEW
    assert catalog.approve(session, reviewer, product.id).review_reason == ""


def test_a_banned_product_is_final(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    product = make_listed_product(session, shop_id)
    with pytest.raises(AppError) as caught:
        catalog.ban(session, reviewer, product.id, "")
    assert caught.value.code == "REASON_REQUIRED"
    banned = catalog.ban(session, reviewer, product.id, "售假")
    assert (banned.status, banned.review_reason) == (S.BANNED, "售假")
    assert _shelf_ids(session) == []
    for attempt in (
        lambda: catalog.relist(session, owner, product.id),
        lambda: catalog.submit_for_review(session, owner, product.id),
        lambda: catalog.approve(session, reviewer, product.id),
        lambda: catalog.ban(session, reviewer, product.id, "again"),
    ):
        with pytest.raises(AppError) as caught:
            attempt()
        assert (caught.value.code, caught.value.status) == ("INVALID_PRODUCT_TRANSITION", 409)
    for edit in (
        lambda: catalog.update_product(session, owner, product.id, ProductUpdate(title="换个马甲")),
        lambda: catalog.set_sku_price(session, owner, product.skus[0].id, 1),
        lambda: catalog.set_sku_stock(session, owner, product.skus[0].id, 1),
        lambda: catalog.delist(session, owner, product.id),
    ):
        with pytest.raises(AppError) as caught:
            edit()
        assert caught.value.code == "PRODUCT_BANNED"


@pytest.mark.parametrize(
    ("status_path", "action"),
    [
        ([], "approve"),  # a draft is not in review
        ([], "relist"),
        ([], "delist"),
        (["submit"], "submit"),
        (["submit", "approve"], "submit"),
        (["submit", "approve"], "relist"),
        (["submit", "approve"], "reject"),
    ],
)
def test_moves_not_allowed_from_a_state_are_refused(
    session: Session, status_path: list[str], action: str
) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    product = make_product(session, shop_id)
    actions = {
        "submit": lambda: catalog.submit_for_review(session, owner, product.id),
        "approve": lambda: catalog.approve(session, reviewer, product.id),
        "reject": lambda: catalog.reject(session, reviewer, product.id, "不合规"),
        "delist": lambda: catalog.delist(session, owner, product.id),
        "relist": lambda: catalog.relist(session, owner, product.id),
    }
    for step in status_path:
        actions[step]()
    before = catalog.get_product(session, owner, product.id).status
    with pytest.raises(AppError) as caught:
        actions[action]()
    assert caught.value.code == "INVALID_PRODUCT_TRANSITION"
    assert catalog.get_product(session, owner, product.id).status == before


def test_only_staff_review(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id)
    owner = owner_principal(session, shop_id)
    catalog.submit_for_review(session, owner, product.id)
    buyer_id, _ = make_user(session, Role.BUYER)
    for who in (owner, principal_of(session, buyer_id)):
        with pytest.raises(AppError) as caught:
            catalog.approve(session, who, product.id)
        assert caught.value.code == "FORBIDDEN"
    admin = Principal(user_id=make_user(session, Role.ADMIN)[0], roles=frozenset({Role.ADMIN}))
    assert catalog.approve(session, admin, product.id).status == S.LISTED


def test_a_shop_that_cannot_sell_cannot_submit_or_relist(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    draft = make_product(session, shop_id)
    listed = make_listed_product(session, shop_id)
    catalog.delist(session, owner, listed.id)
    shops.transition(session, shop_id, ShopStatus.FROZEN, None, "frozen", "虚假发货")
    with pytest.raises(AppError) as caught:
        catalog.submit_for_review(session, owner, draft.id)
    assert caught.value.code == "SHOP_FROZEN"
    with pytest.raises(AppError) as caught:
        catalog.relist(session, owner, listed.id)
    assert caught.value.code == "SHOP_FROZEN"


def test_a_restricted_shop_keeps_selling_but_lists_nothing_new(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    draft = make_product(session, shop_id)
    listed = make_listed_product(session, shop_id)
    catalog.delist(session, owner, listed.id)
    shops.transition(session, shop_id, ShopStatus.RESTRICTED, None, "restricted", "发货超时")
    with pytest.raises(AppError) as caught:
        catalog.submit_for_review(session, owner, draft.id)
    assert (caught.value.code, caught.value.status) == ("SHOP_RESTRICTED", 403)
    assert catalog.relist(session, owner, listed.id).status == S.LISTED
    assert _shelf_ids(session) == [listed.id]

"""The buyer shelf: only listed products of selling shops, paged, filtered, sorted, in one query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import ProductStatus
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from laotie.core.storage import LocalDiskStorage
from laotie.shops import service as shops
from laotie.shops.models import ShopStatus
from tests.factories.catalog import (
    add_cover,
    make_listed_product,
    make_listed_products,
    make_product,
    owner_principal,
    reviewer_principal,
)
from tests.factories.shops import make_open_shop

PAGE = PageParams(limit=100)


def _ids(session: Session, **filters: Any) -> list[int]:
    return [c.id for c in catalog.list_listed(session, PAGE, **filters).items]


@contextmanager
def _counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_buyers_see_only_listed_products(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    listed = make_listed_product(session, shop_id)
    draft = make_product(session, shop_id)
    in_review = make_product(session, shop_id)
    catalog.submit_for_review(session, owner, in_review.id)
    rejected = make_product(session, shop_id)
    catalog.submit_for_review(session, owner, rejected.id)
    catalog.reject(session, reviewer, rejected.id, "图片模糊")
    delisted = make_listed_product(session, shop_id)
    catalog.delist(session, owner, delisted.id)
    banned = make_listed_product(session, shop_id)
    catalog.ban(session, reviewer, banned.id, "售假")
    session.commit()

    page = catalog.list_listed(session, PAGE)
    assert [c.id for c in page.items] == [listed.id] and page.total == 1
    assert catalog.get_listed(session, listed.id).title == listed.title
    for hidden in (draft, in_review, rejected, delisted, banned):
        with pytest.raises(AppError) as caught:
            catalog.get_listed(session, hidden.id)
        assert (caught.value.code, caught.value.status) == ("PRODUCT_NOT_FOUND", 404)
    assert catalog.listed_cards(session, [banned.id, listed.id, draft.id]) == page.items


def test_a_shop_that_stops_selling_vanishes_from_the_shelf_at_once(session: Session) -> None:
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    a = make_listed_product(session, shop_a)
    b = make_listed_product(session, shop_b)
    shops.transition(session, shop_a, ShopStatus.RESTRICTED, None, "restricted", "发货慢")
    assert sorted(_ids(session)) == sorted([a.id, b.id])  # restricted shops still sell
    shops.transition(session, shop_a, ShopStatus.FROZEN, None, "frozen", "售假")
    assert _ids(session) == [b.id]
    assert catalog.list_listed(session, PAGE).total == 1
    with pytest.raises(AppError):
        catalog.get_listed(session, a.id)
    # The merchant still sees its own product, listed.
    assert catalog.get_product(session, owner_principal(session, shop_a), a.id).status == ProductStatus.LISTED


def test_cards_carry_shop_name_prices_and_cover(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_id, _, _ = make_open_shop(session, name="山货源头店")
    product = make_listed_product(session, shop_id, storage=storage, price_fen=2990, original_price_fen=3990)
    plain = make_listed_product(session, shop_id)
    cards = {c.id: c for c in catalog.list_listed(session, PAGE).items}
    card = cards[product.id]
    assert (card.shop_id, card.shop_name, card.min_price_fen, card.original_price_fen) == (
        shop_id,
        "山货源头店",
        2990,
        3990,
    )
    assert card.cover_url == product.images[0].thumb_url
    assert cards[plain.id].cover_url is None


def test_paging_is_complete_and_stable(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    made = make_listed_products(session, shop_id, 7, price_fen=1000)
    seen: list[int] = []
    for offset in range(0, 9, 3):
        page = catalog.list_listed(session, PageParams(limit=3, offset=offset), sort="price_asc")
        assert page.total == 7 and (page.limit, page.offset) == (3, offset)
        seen += [c.id for c in page.items]
    assert seen == made


def test_sorting(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    cheap = make_listed_product(session, shop_id, price_fen=500)
    with clock.travel(timedelta(hours=1)):
        dear = make_listed_product(session, shop_id, price_fen=90000)
    with clock.travel(timedelta(hours=2)):
        middle = make_listed_product(session, shop_id, price_fen=4000)
    assert _ids(session, sort="price_asc") == [cheap.id, middle.id, dear.id]
    assert _ids(session, sort="price_desc") == [dear.id, middle.id, cheap.id]
    assert _ids(session, sort="newest") == [middle.id, dear.id, cheap.id]
    assert sorted(_ids(session)) == sorted([cheap.id, middle.id, dear.id])


def test_filters_category_branch_shop_and_title(session: Session) -> None:
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    tree = categories.tree(session)
    clothes, food = tree[0], next(n for n in tree if n.name == "食品饮料")
    dress = clothes.children[0].children[0].id
    apple = food.children[0].children[0].id
    a_dress = make_listed_product(session, shop_a, category_id=dress, title="Summer 碎花连衣裙")
    b_apple = make_listed_product(session, shop_b, category_id=apple, title="烟台红富士苹果 5斤")
    b_dress = make_listed_product(session, shop_b, category_id=dress, title="法式100%真丝连衣裙")

    assert sorted(_ids(session, category_id=clothes.id)) == sorted([a_dress.id, b_dress.id])
    assert _ids(session, category_id=food.children[0].id) == [b_apple.id]
    assert _ids(session, category_id=apple) == [b_apple.id]
    assert sorted(_ids(session, shop_id=shop_b)) == sorted([b_apple.id, b_dress.id])
    assert _ids(session, shop_id=shop_b, category_id=dress) == [b_dress.id]
    assert _ids(session, q="summer") == [a_dress.id]  # case-insensitive
    assert _ids(session, q="SUMMER 碎花") == [a_dress.id]
    assert sorted(_ids(session, q="连衣裙")) == sorted([a_dress.id, b_dress.id])
    assert _ids(session, q="100%") == [b_dress.id]  # % is a character, not a wildcard
    assert _ids(session, q="%") == [b_dress.id]
    assert _ids(session, q="_") == []
    with pytest.raises(AppError) as caught:
        catalog.list_listed(session, PAGE, category_id=987654)
    assert caught.value.code == "CATEGORY_NOT_FOUND"


def test_a_shelf_page_costs_the_same_queries_however_many_products(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    for i in range(3):
        make_listed_product(session, shop_a if i % 2 else shop_b, storage=storage)
    with _counting(session) as few:
        small = catalog.list_listed(session, PAGE)
    for i in range(12):
        product = make_listed_product(session, shop_a if i % 2 else shop_b, colours=["红", "黑"])
        add_cover(session, storage, product.id)
        catalog.approve(session, reviewer_principal(session), product.id)
    session.commit()
    with _counting(session) as many:
        large = catalog.list_listed(session, PAGE)
    assert (small.total, large.total) == (3, 15)
    assert all(c.cover_url for c in large.items)
    assert len(few) == len(many) == 2  # the count and the page, with shop and cover joined


def test_merchants_list_their_own_products_in_every_state(session: Session) -> None:
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_a)
    draft = make_product(session, shop_a, title="草稿商品")
    listed = make_listed_product(session, shop_a, title="在售商品")
    make_listed_product(session, shop_b)
    page = catalog.list_shop_products(session, owner, shop_a, PAGE)
    assert sorted(p.id for p in page.items) == sorted([draft.id, listed.id]) and page.total == 2
    drafts = catalog.list_shop_products(session, owner, shop_a, PAGE, status=ProductStatus.DRAFT)
    assert [p.id for p in drafts.items] == [draft.id]
    assert [p.id for p in catalog.list_shop_products(session, owner, shop_a, PAGE, q="在售").items] == [
        listed.id
    ]
    with pytest.raises(AppError) as caught:
        catalog.list_shop_products(session, owner, shop_b, PAGE)
    assert caught.value.code == "NOT_SHOP_MEMBER"

"""Creating and editing products: who may, what is refused, and what an edit does to a reviewed product."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import PriceChange, Product, ProductStatus, Sku
from laotie.catalog.schemas import AttributeIn, ProductCreate, ProductUpdate, SizeChart, SkuIn
from laotie.categories import service as categories
from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from laotie.shops import service as shops
from laotie.shops.models import ShopStatus
from tests.factories.catalog import (
    leaf_category_id,
    make_listed_product,
    make_product,
    owner_principal,
    product_body,
    reviewer_principal,
)
from tests.factories.shops import make_open_shop

PAGE = PageParams(limit=50)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _nothing_written(session: Session) -> None:
    assert (_count(session, Product), _count(session, Sku), _count(session, PriceChange)) == (0, 0, 0)


def test_create_makes_a_draft_with_skus_summary_and_first_prices(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    body = product_body(
        leaf_category_id(session),
        price_fen=5900,
        original_price_fen=8900,
        colours=["红", "黑"],
        sizes=["M", "L", "XL"],
        purchase_limit=2,
        size_chart=SizeChart(columns=["尺码", "胸围"], rows=[["M", "96"], ["L", "100"], ["XL", "104"]]),
    )
    out = catalog.create_product(session, owner_principal(session, shop_id), shop_id, body)
    session.commit()

    assert out.status == ProductStatus.DRAFT and out.shop_id == shop_id
    assert len(out.skus) == 6 and {s.attrs["尺码"] for s in out.skus} == {"M", "L", "XL"}
    assert (out.min_price_fen, out.original_price_fen, out.total_stock) == (5900, 8900, 600)
    assert out.purchase_limit == 2 and out.size_chart == {
        "columns": ["尺码", "胸围"],
        "rows": [["M", "96"], ["L", "100"], ["XL", "104"]],
    }
    assert out.attributes == [
        {"name": "颜色", "values": ["红", "黑"]},
        {"name": "尺码", "values": ["M", "L", "XL"]},
    ]
    for sku in out.skus:
        history = catalog.price_history(session, sku.id)
        assert [(h.old_price_fen, h.new_price_fen, h.changed_by) for h in history] == [
            (None, sku.price_fen, owner_id)
        ]
    assert [e.kind for e in catalog.product_events(session, reviewer_principal(session), out.id)] == [
        "created"
    ]


def test_only_members_of_a_selling_shop_may_create(session: Session) -> None:
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    body = product_body(leaf_category_id(session))
    with pytest.raises(AppError) as caught:
        catalog.create_product(session, owner_principal(session, shop_b), shop_a, body)
    assert (caught.value.code, caught.value.status) == ("NOT_SHOP_MEMBER", 403)
    shops.transition(session, shop_a, ShopStatus.FROZEN, None, "frozen", "售假")
    with pytest.raises(AppError) as caught:
        catalog.create_product(session, owner_principal(session, shop_a), shop_a, body)
    assert caught.value.code == "SHOP_FROZEN"
    _nothing_written(session)


def test_category_must_exist_and_be_a_leaf(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    with pytest.raises(AppError) as caught:
        catalog.create_product(session, owner, shop_id, product_body(999_999))
    assert (caught.value.code, caught.value.status) == ("CATEGORY_NOT_FOUND", 404)
    top = categories.tree(session)[0].id
    with pytest.raises(AppError) as caught:
        catalog.create_product(session, owner, shop_id, product_body(top))
    assert caught.value.code == "CATEGORY_NOT_LEAF"
    _nothing_written(session)


@pytest.mark.parametrize(
    ("attributes", "skus", "code"),
    [
        (
            [AttributeIn(name="颜色", values=["红", "黑"])],
            [
                SkuIn(attrs={"颜色": "红"}, price_fen=100, stock=1),
                SkuIn(attrs={"颜色": "红"}, price_fen=90, stock=1),
            ],
            "DUPLICATE_SKU",
        ),
        (
            [AttributeIn(name="颜色", values=["红"])],
            [SkuIn(attrs={"颜色": "蓝"}, price_fen=100, stock=1)],
            "SKU_ATTRS_MISMATCH",
        ),
        (
            [AttributeIn(name="颜色", values=["红"])],
            [SkuIn(attrs={}, price_fen=100, stock=1)],
            "SKU_ATTRS_MISMATCH",
        ),
        ([], [SkuIn(price_fen=500, original_price_fen=400, stock=1)], "ORIGINAL_PRICE_TOO_LOW"),
        (
            [
                AttributeIn(name="颜色", values=[f"c{i}" for i in range(30)]),
                AttributeIn(name="尺码", values=[f"s{i}" for i in range(21)]),
            ],
            [
                SkuIn(attrs={"颜色": f"c{c}", "尺码": f"s{s}"}, price_fen=100, stock=1)
                for c in range(30)
                for s in range(21)
            ],
            "TOO_MANY_SKUS",
        ),
    ],
    ids=["duplicate", "undeclared-value", "missing-attr", "original-below-price", "too-many"],
)
def test_bad_variants_are_refused_and_nothing_is_written(
    session: Session, attributes: list[AttributeIn], skus: list[SkuIn], code: str
) -> None:
    shop_id, _, _ = make_open_shop(session)
    body = ProductCreate(
        category_id=leaf_category_id(session), title="坏商品", attributes=attributes, skus=skus
    )
    with pytest.raises(AppError) as caught:
        catalog.create_product(session, owner_principal(session, shop_id), shop_id, body)
    assert (caught.value.code, caught.value.status) == (code, 422)
    _nothing_written(session)


def test_trading_edits_keep_a_listed_product_on_the_shelf(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, colours=["红", "黑"])
    owner = owner_principal(session, shop_id)
    skus = [
        SkuIn(attrs=s.attrs, price_fen=s.price_fen - 1000, stock=s.stock + 5, sku_code=f"C-{s.id}")
        for s in product.skus
    ]
    out = catalog.update_product(session, owner, product.id, ProductUpdate(skus=skus, purchase_limit=3))
    session.commit()
    assert out.status == ProductStatus.LISTED
    assert out.min_price_fen == product.min_price_fen - 1000 and out.purchase_limit == 3
    assert [s.sku_code for s in out.skus] == [f"C-{s.id}" for s in product.skus]
    history = catalog.price_history(session, product.skus[0].id)
    assert [(h.old_price_fen, h.new_price_fen, h.reason) for h in history] == [
        (None, product.skus[0].price_fen, "created"),
        (product.skus[0].price_fen, product.skus[0].price_fen - 1000, "edited"),
    ]


@pytest.mark.parametrize(
    "update",
    [
        ProductUpdate(title="全新标题"),
        ProductUpdate(description="换了描述"),
        ProductUpdate(size_chart=SizeChart(columns=["尺码"], rows=[["M"]])),
    ],
    ids=["title", "description", "size-chart"],
)
def test_content_edits_send_a_listed_product_back_to_review(session: Session, update: ProductUpdate) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    out = catalog.update_product(session, owner_principal(session, shop_id), product.id, update)
    session.commit()
    assert out.status == ProductStatus.IN_REVIEW
    assert catalog.list_listed(session, PAGE).total == 0
    trail = catalog.product_events(session, reviewer_principal(session), product.id)
    assert (trail[-1].kind, trail[-1].from_status, trail[-1].to_status, trail[-1].actor_id) == (
        "resubmitted",
        "listed",
        "in_review",
        owner_id,
    )
    assert [p.id for p in catalog.review_queue(session, PAGE).items] == [product.id]


def test_adding_a_variant_is_content_and_removing_one_deactivates_it(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, colours=["红", "黑"])
    owner = owner_principal(session, shop_id)
    red = next(s for s in product.skus if s.attrs == {"颜色": "红"})
    out = catalog.update_product(
        session,
        owner,
        product.id,
        ProductUpdate(
            attributes=[AttributeIn(name="颜色", values=["红", "白"])],
            skus=[
                SkuIn(attrs={"颜色": "红"}, price_fen=red.price_fen, stock=red.stock),
                SkuIn(attrs={"颜色": "白"}, price_fen=50, stock=7),
            ],
        ),
    )
    session.commit()
    assert out.status == ProductStatus.IN_REVIEW
    by_colour = {s.attrs["颜色"]: s for s in out.skus}
    assert by_colour["黑"].active is False and by_colour["白"].active and by_colour["红"].id == red.id
    assert (out.min_price_fen, out.total_stock) == (50, red.stock + 7)
    assert [h.new_price_fen for h in catalog.price_history(session, by_colour["白"].id)] == [50]


def test_content_edit_of_a_delisted_product_returns_it_to_draft(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    product = make_listed_product(session, shop_id)
    catalog.delist(session, owner, product.id)
    out = catalog.update_product(session, owner, product.id, ProductUpdate(title="改过的标题"))
    assert out.status == ProductStatus.DRAFT
    with pytest.raises(AppError) as caught:
        catalog.relist(session, owner, product.id)
    assert caught.value.code == "INVALID_PRODUCT_TRANSITION"


def test_a_refused_edit_changes_nothing(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, colours=["红"])
    bad = ProductUpdate(title="新标题", skus=[SkuIn(attrs={"颜色": "紫"}, price_fen=100, stock=1)])
    with pytest.raises(AppError) as caught:
        catalog.update_product(session, owner_principal(session, shop_id), product.id, bad)
    assert caught.value.code == "SKU_ATTRS_MISMATCH"
    session.flush()
    row = session.get(Product, product.id)
    assert row is not None and (row.title, row.status) == (product.title, ProductStatus.LISTED)
    assert _count(session, Sku) == 1


def test_other_shops_cannot_read_or_edit(session: Session) -> None:
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    product = make_product(session, shop_a)
    intruder = owner_principal(session, shop_b)
    for attempt in (
        lambda: catalog.get_product(session, intruder, product.id),
        lambda: catalog.update_product(session, intruder, product.id, ProductUpdate(title="偷改")),
        lambda: catalog.set_sku_price(session, intruder, product.skus[0].id, 1),
        lambda: catalog.set_sku_stock(session, intruder, product.skus[0].id, 0),
        lambda: catalog.submit_for_review(session, intruder, product.id),
        lambda: catalog.list_shop_products(session, intruder, shop_a, PAGE),
        lambda: catalog.price_history(session, product.skus[0].id, principal=intruder),
    ):
        with pytest.raises(AppError) as caught:
            attempt()
        assert (caught.value.code, caught.value.status) == ("NOT_SHOP_MEMBER", 403)
    # Through B's own shop the product does not exist.
    with pytest.raises(AppError) as caught:
        catalog.get_product(session, intruder, product.id, shop_id=shop_b)
    assert (caught.value.code, caught.value.status) == ("PRODUCT_NOT_FOUND", 404)
    with pytest.raises(AppError) as caught:
        catalog.set_sku_price(session, intruder, product.skus[0].id, 1, shop_id=shop_b)
    assert caught.value.code == "SKU_NOT_FOUND"
    assert catalog.get_product(session, owner_principal(session, shop_a), product.id).title == product.title

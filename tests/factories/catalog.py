"""Products for tests, made through the real catalog services (create, submit, approve)."""

from __future__ import annotations

import itertools
from io import BytesIO
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.accounts.models import UserRole
from laotie.catalog import service as catalog
from laotie.catalog.schemas import AttributeIn, ImageOut, ProductCreate, ProductOut, SkuIn
from laotie.categories import service as categories
from laotie.core.auth import Principal, Role
from laotie.core.storage import FileStorage
from laotie.shops.models import MemberRole, ShopMember
from tests.factories import make_user
from tests.factories.shops import principal_of

_serial = itertools.count(1)


def image_bytes(
    width: int = 800, height: int = 600, fmt: str = "PNG", color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A real picture in ``fmt`` (PNG, JPEG, WEBP, GIF, ...)."""
    out = BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def owner_principal(session: Session, shop_id: int) -> Principal:
    owner_id = session.scalar(
        select(ShopMember.user_id).where(ShopMember.shop_id == shop_id, ShopMember.role == MemberRole.OWNER)
    )
    assert owner_id is not None, f"shop {shop_id} has no owner"
    return principal_of(session, owner_id)


def reviewer_principal(session: Session) -> Principal:
    """A governance user: an existing one if any (cheaper than hashing a new password)."""
    user_id = session.scalar(
        select(UserRole.user_id).where(UserRole.role == Role.GOVERNANCE.value).order_by(UserRole.user_id)
    )
    if user_id is None:
        user_id, _ = make_user(session, Role.GOVERNANCE)
    return principal_of(session, user_id)


def leaf_category_id(session: Session, index: int = 0) -> int:
    return categories.leaf_ids(session)[index]


def product_body(
    category_id: int,
    *,
    title: str | None = None,
    price_fen: int = 9900,
    original_price_fen: int | None = None,
    stock: int = 100,
    colours: list[str] | None = None,
    sizes: list[str] | None = None,
    **extra: Any,
) -> ProductCreate:
    """A valid body: one SKU, or the full colour × size matrix when ``colours``/``sizes`` are given
    (each SKU's price is ``price_fen`` plus 100 fen per position, so the first is the cheapest)."""
    attributes: list[AttributeIn] = []
    if colours:
        attributes.append(AttributeIn(name="颜色", values=colours))
    if sizes:
        attributes.append(AttributeIn(name="尺码", values=sizes))
    combos: list[dict[str, str]] = [{}]
    for attribute in attributes:
        combos = [{**c, attribute.name: v} for c in combos for v in attribute.values]
    skus = [
        SkuIn(
            attrs=attrs,
            price_fen=price_fen + 100 * i,
            original_price_fen=original_price_fen + 100 * i if original_price_fen else None,
            stock=stock,
        )
        for i, attrs in enumerate(combos)
    ]
    return ProductCreate(
        category_id=category_id,
        title=title or f"测试商品{next(_serial)}",
        description="好货",
        attributes=attributes,
        skus=skus,
        **extra,
    )


def make_product(session: Session, shop_id: int, **body: Any) -> ProductOut:
    """A draft product of the shop, created by its owner; keyword arguments go to ``product_body``."""
    category_id = body.pop("category_id", None) or leaf_category_id(session)
    out = catalog.create_product(
        session, owner_principal(session, shop_id), shop_id, product_body(category_id, **body)
    )
    session.commit()
    return out


def list_product(session: Session, product_id: int, shop_id: int | None = None) -> ProductOut:
    """Submit and approve an existing product."""
    reviewer = reviewer_principal(session)
    if shop_id is None:
        shop_id = catalog.inspect_product(session, reviewer, product_id).shop_id
    catalog.submit_for_review(session, owner_principal(session, shop_id), product_id)
    out = catalog.approve(session, reviewer, product_id)
    session.commit()
    return out


def add_cover(session: Session, storage: FileStorage, product_id: int, **picture: Any) -> ImageOut:
    """Upload a generated picture to the product as its owner."""
    shop_id = catalog.inspect_product(session, reviewer_principal(session), product_id).shop_id
    out = catalog.add_image(
        session,
        storage,
        owner_principal(session, shop_id),
        product_id,
        "cover.png",
        "image/png",
        image_bytes(**picture),
    )
    session.commit()
    return out


def make_listed_product(
    session: Session, shop_id: int, *, storage: FileStorage | None = None, **body: Any
) -> ProductOut:
    """A product on the shelf: created, given a cover image when ``storage`` is passed, submitted
    and approved. Keyword arguments go to ``product_body`` (title, price_fen, colours, sizes, ...)."""
    product = make_product(session, shop_id, **body)
    if storage is not None:
        add_cover(session, storage, product.id)
    return list_product(session, product.id, shop_id)


def make_listed_products(session: Session, shop_id: int, count: int, **body: Any) -> list[int]:
    """Many listed products in one transaction (for shelves and benchmarks): ids, in creation order.
    Titles are numbered; each product's price is ``price_fen`` (default 1000) plus its index."""
    owner = owner_principal(session, shop_id)
    reviewer = reviewer_principal(session)
    category_id = body.pop("category_id", None) or leaf_category_id(session)
    base_price = body.pop("price_fen", 1000)
    title = body.pop("title", "好货")
    ids: list[int] = []
    for i in range(count):
        out = catalog.create_product(
            session,
            owner,
            shop_id,
            product_body(category_id, title=f"{title} {i + 1}", price_fen=base_price + i, **body),
        )
        catalog.submit_for_review(session, owner, out.id)
        catalog.approve(session, reviewer, out.id)
        ids.append(out.id)
        session.expunge_all()  # keep the identity map small over thousands of products
    session.commit()
    return ids

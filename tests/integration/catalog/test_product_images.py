"""Product images through the service: stored with a thumbnail, capped, and reviewed as content."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import Image, ProductStatus
from laotie.catalog.schemas import MAX_IMAGES
from laotie.core.auth import Role
from laotie.core.errors import AppError
from laotie.core.storage import LocalDiskStorage
from tests.factories import make_user
from tests.factories.catalog import (
    image_bytes,
    make_listed_product,
    make_product,
    owner_principal,
    reviewer_principal,
)
from tests.factories.shops import make_open_shop, principal_of


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_upload_is_stored_with_a_thumbnail(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    product = make_product(session, shop_id)
    # The name and claimed type are wrong on purpose: only the content counts.
    out = catalog.add_image(
        session, storage, owner, product.id, "photo.gif", "text/plain", image_bytes(1600, 1200, "JPEG")
    )
    session.commit()
    assert (out.position, out.width, out.height, out.content_type) == (0, 1600, 1200, "image/jpeg")
    assert out.thumb_url == f"/api/v1/products/{product.id}/images/{out.id}/thumb"
    original = catalog.image_file(session, owner, product.id, out.id)
    thumb = catalog.image_file(session, owner, product.id, out.id, thumb=True)
    assert PILImage.open(BytesIO(storage.read(original.key))).size == (1600, 1200)
    assert PILImage.open(BytesIO(storage.read(thumb.key))).size == (400, 300)
    assert catalog.get_product(session, owner, product.id).cover_url == out.thumb_url


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"GIF89a not really", "INVALID_IMAGE", 422),
        (image_bytes(50, 50, "GIF"), "INVALID_IMAGE", 422),
        (image_bytes(2000, 2000, "PNG", color=(1, 2, 3)) + b"\0" * 3000, "FILE_TOO_LARGE", 413),
    ],
    ids=["not-an-image", "gif", "too-large"],
)
def test_bad_uploads_write_nothing(
    session: Session, tmp_path: Path, data: bytes, code: str, status: int
) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id)
    with pytest.raises(AppError) as caught:
        catalog.add_image(
            session,
            storage,
            owner_principal(session, shop_id),
            product.id,
            "x.png",
            "image/png",
            data,
            max_bytes=3000,
        )
    assert (caught.value.code, caught.value.status) == (code, status)
    assert session.scalar(select(func.count()).select_from(Image)) == 0
    assert _files(tmp_path) == []


def test_images_are_capped_and_deleting_one_closes_the_gap(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    product = make_product(session, shop_id)
    made = [
        catalog.add_image(
            session, storage, owner, product.id, "a.png", "image/png", image_bytes(20, 20, color=(i, 0, 0))
        )
        for i in range(MAX_IMAGES)
    ]
    with pytest.raises(AppError) as caught:
        catalog.add_image(session, storage, owner, product.id, "b.png", "image/png", image_bytes(20, 20))
    assert caught.value.code == "TOO_MANY_IMAGES"
    session.commit()

    out, keys = catalog.delete_image(session, owner, product.id, made[0].id)
    session.commit()
    assert [i.id for i in out.images] == [m.id for m in made[1:]]
    assert [i.position for i in out.images] == list(range(MAX_IMAGES - 1))
    assert out.cover_url == made[1].thumb_url and len(keys) == 2
    with pytest.raises(AppError) as caught:
        catalog.delete_image(session, owner, product.id, made[0].id)
    assert caught.value.code == "IMAGE_NOT_FOUND"


def test_a_new_image_on_a_listed_product_sends_it_back_to_review(session: Session, tmp_path: Path) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    catalog.add_image(
        session,
        LocalDiskStorage(tmp_path),
        owner_principal(session, shop_id),
        product.id,
        "a.png",
        "",
        image_bytes(),
    )
    out = catalog.get_product(session, owner_principal(session, shop_id), product.id)
    assert out.status == ProductStatus.IN_REVIEW


def test_images_of_unlisted_products_are_private(session: Session, tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    shop_a, _, _ = make_open_shop(session)
    shop_b, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_a)
    product = make_product(session, shop_a)
    image = catalog.add_image(session, storage, owner, product.id, "a.png", "image/png", image_bytes())
    session.commit()
    buyer = principal_of(session, make_user(session, Role.BUYER)[0])
    assert catalog.image_file(session, owner, product.id, image.id).public is False
    assert catalog.image_file(session, reviewer_principal(session), product.id, image.id, thumb=True).key
    for outsider in (None, buyer, owner_principal(session, shop_b)):
        with pytest.raises(AppError) as caught:
            catalog.image_file(session, outsider, product.id, image.id)
        assert (caught.value.code, caught.value.status) == ("IMAGE_NOT_FOUND", 404)
    catalog.submit_for_review(session, owner, product.id)
    catalog.approve(session, reviewer_principal(session), product.id)
    assert catalog.image_file(session, None, product.id, image.id).public is True
    with pytest.raises(AppError):
        catalog.image_file(session, None, product.id + 1, image.id)  # the image belongs to another product

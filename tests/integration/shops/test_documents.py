from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryCreate
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.storage import LocalDiskStorage
from laotie.shops import service as shops
from laotie.shops.documents import today_in_china
from tests.factories import make_user
from tests.factories.shops import (
    apply_for_shop,
    category_named,
    image_bytes,
    make_open_shop,
    make_reviewer,
    pdf_bytes,
    principal_of,
    row_counts,
)


@pytest.fixture
def storage(tmp_path: Path) -> LocalDiskStorage:
    return LocalDiskStorage(tmp_path / "media")


def _files(storage: LocalDiskStorage) -> list[Path]:
    return [p for p in storage.root.rglob("*") if p.is_file()] if storage.root.exists() else []


def _upload(
    session: Session, storage: LocalDiskStorage, who: Principal, shop_id: int, kind: str, **kw: Any
) -> Any:
    kw.setdefault("data", pdf_bytes())
    kw.setdefault("filename", f"{kind}.pdf")
    return shops.upload(session, storage, who, shop_id, kind=kind, **kw)


def test_upload_each_kind_and_read_it_back(session: Session, storage: LocalDiskStorage) -> None:
    shop_id, owner_id, _ = apply_for_shop(session, category_named(session, "食品饮料"))
    owner = principal_of(session, owner_id)
    licence = _upload(session, storage, owner, shop_id, "business_license", filename="C:\\扫描\\营业执照.pdf")
    food = _upload(
        session, storage, owner, shop_id, "food_license", data=image_bytes("JPEG"), filename="食品证.png"
    )
    expiry = today_in_china() + timedelta(days=365)
    brand = _upload(
        session,
        storage,
        owner,
        shop_id,
        "brand_authorization",
        data=image_bytes("WEBP"),
        brand="  老铁牌 ",
        expires_on=expiry,
    )
    session.commit()
    # The name is kept without its path; the type comes from the content, not the name.
    assert (licence.filename, licence.content_type) == ("营业执照.pdf", "application/pdf")
    assert (food.kind_label, food.content_type) == ("食品经营许可证", "image/jpeg")
    assert (brand.brand, brand.expires_on, brand.expired) == ("老铁牌", expiry, False)
    assert brand.url == f"/api/v1/shops/{shop_id}/documents/{brand.id}"
    listed = shops.list_documents(session, owner, shop_id)
    assert [d.kind for d in listed] == ["business_license", "food_license", "brand_authorization"]
    doc, data = shops.read_document(session, storage, owner, shop_id, food.id)
    assert data == image_bytes("JPEG") and doc.size_bytes == len(data)
    assert len(_files(storage)) == 3
    uploads = [e for e in shops.events(session, shop_id) if e.kind == "document_uploaded"]
    assert [e.data["kind"] for e in uploads] == ["business_license", "food_license", "brand_authorization"]
    assert {e.actor_id for e in uploads} == {owner_id}


BAD_UPLOADS: list[tuple[dict[str, Any], str, int]] = [
    ({"kind": "selfie"}, "UNKNOWN_DOCUMENT_KIND", 422),
    ({"kind": "brand_authorization"}, "BRAND_REQUIRED", 422),
    ({"kind": "brand_authorization", "brand": "   "}, "BRAND_REQUIRED", 422),
    ({"kind": "business_license", "brand": "老铁牌"}, "BRAND_NOT_EXPECTED", 422),
    ({"kind": "brand_authorization", "brand": "老\x00铁"}, "VALIDATION_ERROR", 422),
    ({"kind": "brand_authorization", "brand": "老" * 61}, "VALIDATION_ERROR", 422),
    ({"kind": "business_license", "expires_on": date(2020, 1, 1)}, "DOCUMENT_EXPIRED", 422),
    ({"kind": "business_license", "data": b"x" * 2001}, "FILE_TOO_LARGE", 413),
    ({"kind": "business_license", "data": b"GIF89a not really"}, "UNSUPPORTED_FILE_TYPE", 415),
    (
        {"kind": "business_license", "data": b"<svg onload=alert(1)>", "filename": "a.pdf"},
        "UNSUPPORTED_FILE_TYPE",
        415,
    ),
    ({"kind": "business_license", "data": b""}, "EMPTY_FILE", 422),
]


@pytest.mark.parametrize(("overrides", "code", "status"), BAD_UPLOADS)
def test_refused_uploads_leave_nothing_behind(
    session: Session, storage: LocalDiskStorage, overrides: dict[str, Any], code: str, status: int
) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    owner = principal_of(session, owner_id)
    before = row_counts(session)
    overrides = dict(overrides)
    kind = overrides.pop("kind")
    with pytest.raises(AppError) as caught:
        _upload(session, storage, owner, shop_id, kind, max_bytes=2000, **overrides)
    assert (caught.value.code, caught.value.status) == (code, status)
    assert row_counts(session) == before
    assert _files(storage) == []


def test_a_failed_database_write_removes_the_stored_file(
    session: Session, storage: LocalDiskStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laotie.shops import documents as module

    shop_id, owner_id, _ = apply_for_shop(session)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(module, "record_event", broken)
    with pytest.raises(RuntimeError):
        _upload(session, storage, principal_of(session, owner_id), shop_id, "business_license")
    assert _files(storage) == []


def test_kinds_an_admin_adds_to_a_category_are_accepted_there_only(
    session: Session, storage: LocalDiskStorage
) -> None:
    medical = categories.create_category(
        session, CategoryCreate(name="医疗器械", required_qualifications=["medical_device_license"])
    )
    shop_id, owner_id, _ = apply_for_shop(session, medical.id)
    doc = _upload(session, storage, principal_of(session, owner_id), shop_id, "medical_device_license")
    assert doc.kind_label == "medical_device_license"
    other_id, other_owner, _ = apply_for_shop(session)
    with pytest.raises(AppError) as caught:
        _upload(session, storage, principal_of(session, other_owner), other_id, "medical_device_license")
    assert caught.value.code == "UNKNOWN_DOCUMENT_KIND"


def test_only_members_upload_and_only_members_and_staff_read(
    session: Session, storage: LocalDiskStorage
) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    doc = _upload(session, storage, principal_of(session, owner_id), shop_id, "business_license")
    other_shop, other_owner_id, _ = make_open_shop(session)
    other_owner = principal_of(session, other_owner_id)
    reviewer, _ = make_reviewer(session)
    before = row_counts(session)
    for who in (other_owner, reviewer):
        with pytest.raises(AppError) as caught:
            _upload(session, storage, who, shop_id, "business_license")
        assert caught.value.code == "NOT_SHOP_MEMBER"
    assert row_counts(session) == before
    for call in (
        lambda: shops.list_documents(session, other_owner, shop_id),
        lambda: shops.read_document(session, storage, other_owner, shop_id, doc.id),
    ):
        with pytest.raises(AppError) as caught:
            call()
        assert caught.value.code == "NOT_SHOP_MEMBER"
    # Asking through one's own shop for another shop's document finds nothing.
    with pytest.raises(AppError) as caught:
        shops.read_document(session, storage, other_owner, other_shop, doc.id)
    assert caught.value.code == "DOCUMENT_NOT_FOUND"
    # Governance staff review documents.
    assert [d.id for d in shops.list_documents(session, reviewer, shop_id)] == [doc.id]
    assert shops.read_document(session, storage, reviewer, shop_id, doc.id)[1] == pdf_bytes()


def test_an_application_and_its_documents_are_invisible_to_strangers(
    session: Session, storage: LocalDiskStorage
) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    doc = _upload(session, storage, principal_of(session, owner_id), shop_id, "business_license")
    stranger_id, _ = make_user(session)
    stranger = principal_of(session, stranger_id)
    for call in (
        lambda: shops.list_documents(session, stranger, shop_id),
        lambda: shops.read_document(session, storage, stranger, shop_id, doc.id),
        lambda: shops.shop_events(session, stranger, shop_id),
        lambda: shops.shop_view(session, shop_id, stranger),
        lambda: shops.shop_view(session, shop_id, None),
    ):
        with pytest.raises(AppError) as caught:
            call()
        assert caught.value.code == "SHOP_NOT_FOUND"


def test_staff_members_may_upload(session: Session, storage: LocalDiskStorage) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    staff_id, _ = make_user(session)
    staff_phone = accounts.get_user_out(session, staff_id).phone
    assert staff_phone is not None
    shops.add_staff(session, principal_of(session, owner_id), shop_id, staff_phone)
    doc = _upload(
        session, storage, principal_of(session, staff_id), shop_id, "brand_authorization", brand="老铁"
    )
    assert doc.uploaded_by == staff_id


def test_closed_shops_take_no_documents(session: Session, storage: LocalDiskStorage) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    owner = principal_of(session, owner_id)
    shops.close_own(session, owner, shop_id, "不做了")
    with pytest.raises(AppError) as caught:
        _upload(session, storage, owner, shop_id, "business_license")
    assert caught.value.code == "SHOP_CLOSED"


def test_documents_expire(session: Session, storage: LocalDiskStorage) -> None:
    shop_id, owner_id, _ = apply_for_shop(session)
    owner = principal_of(session, owner_id)
    doc = _upload(session, storage, owner, shop_id, "business_license", expires_on=today_in_china())
    assert doc.expired is False  # valid through its last day
    with clock.travel(timedelta(days=1)):
        assert shops.list_documents(session, owner, shop_id)[0].expired is True

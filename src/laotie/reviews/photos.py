"""Review photos: decoded and cleaned by catalog's image check (JPEG, PNG or WebP, size limit, EXIF
and trailing bytes dropped), stored with a thumbnail under keys nobody can guess, attached to a
review or follow-up when it is written. Anyone may see the photos of a shown review; a photo not yet
attached, or of a held or removed review, only its uploader and staff."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.storage import FileStorage
from laotie.reviews import errors
from laotie.reviews.models import PartStatus, Review, ReviewPhoto, ReviewStatus
from laotie.reviews.schemas import MAX_PHOTOS, PhotoOut
from laotie.reviews.views import photo_out
from laotie.settings import get_settings

# Photos a buyer may have uploaded and not yet used (a form abandoned half way, retries).
MAX_LOOSE_PHOTOS = 30


def upload(session: Session, storage: FileStorage, principal: Principal, data: bytes) -> PhotoOut:
    loose = session.scalar(
        select(func.count())
        .select_from(ReviewPhoto)
        .where(ReviewPhoto.uploaded_by == principal.user_id, ReviewPhoto.review_id.is_(None))
    )
    if (loose or 0) >= MAX_LOOSE_PHOTOS:
        raise errors.TOO_MANY_PHOTOS(limit=MAX_LOOSE_PHOTOS)
    processed = catalog.process_image(data, get_settings().max_upload_bytes)
    row = ReviewPhoto(
        review_id=None,
        part="",
        position=0,
        uploaded_by=principal.user_id,
        storage_key=storage.put("reviews", processed.suffix, processed.original),
        thumb_key=storage.put("reviews", processed.thumb_suffix, processed.thumb),
        content_type=processed.content_type,
        thumb_content_type=processed.thumb_content_type,
        width=processed.width,
        height=processed.height,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return photo_out(row)


def check_count(photo_ids: list[int]) -> None:
    if len(set(photo_ids)) > MAX_PHOTOS:
        raise errors.TOO_MANY_PHOTOS(limit=MAX_PHOTOS)


def attach(session: Session, uploader_id: int, review_id: int, part: str, photo_ids: list[int]) -> int:
    """Attach the uploader's loose photos, in the order given; all or nothing (REVIEW_PHOTO_NOT_FOUND)."""
    ids = list(dict.fromkeys(photo_ids))
    check_count(ids)
    for position, photo_id in enumerate(ids):
        done = session.execute(
            update(ReviewPhoto)
            .where(
                ReviewPhoto.id == photo_id,
                ReviewPhoto.uploaded_by == uploader_id,
                ReviewPhoto.review_id.is_(None),
            )
            .values(review_id=review_id, part=part, position=position)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.PHOTO_NOT_FOUND(photo_id=photo_id)
    return len(ids)


def photo_file(
    session: Session, principal: Principal | None, photo_id: int, thumb: bool
) -> tuple[str, str, bool]:
    """(storage key, content type, public) of a photo the caller may see."""
    row = session.get(ReviewPhoto, photo_id)
    if row is None:
        raise errors.PHOTO_NOT_FOUND(photo_id=photo_id)
    public = False
    if row.review_id is not None:
        review = session.get(Review, row.review_id)
        if review is not None and review.status == ReviewStatus.PUBLISHED:
            public = row.part == "review" or review.followup_status == PartStatus.PUBLISHED
    allowed = public or (
        principal is not None and (principal.is_staff or principal.user_id == row.uploaded_by)
    )
    if not allowed:
        raise errors.PHOTO_NOT_FOUND(photo_id=photo_id)
    if thumb:
        return row.thumb_key, row.thumb_content_type, public
    return row.storage_key, row.content_type, public

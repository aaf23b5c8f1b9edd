"""Product images: checked by decoding them, cleaned, thumbnailed and stored.

The file name and the content type the client claims are not trusted: Pillow must decode the
whole picture as JPEG, PNG or WebP. The original is re-encoded, which drops EXIF data (camera
location) and anything smuggled after the image data, and turned upright. A thumbnail of at most
``THUMB_SIZE`` pixels a side is what the shelf shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import errors
from laotie.catalog.access import editable_product, load_product
from laotie.catalog.lifecycle import content_changed, record_event
from laotie.catalog.listing import is_visible
from laotie.catalog.models import Image, ProductEventKind
from laotie.catalog.schemas import MAX_IMAGES, ImageOut, ProductOut
from laotie.catalog.views import image_out, product_out
from laotie.core import clock, image_gate
from laotie.core.auth import Principal
from laotie.core.storage import FileStorage
from laotie.settings import get_settings
from laotie.shops import service as shops

THUMB_SIZE = 400
# Decoding a huge canvas costs memory whatever the file size: the header's size is checked first and
# decodes are bounded per process (core.image_gate).
MAX_PIXELS = image_gate.MAX_PIXELS
_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}


@dataclass(frozen=True)
class Processed:
    original: bytes
    content_type: str
    suffix: str
    width: int
    height: int
    thumb: bytes
    thumb_content_type: str
    thumb_suffix: str


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    public: bool


def _has_alpha(img: PILImage.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def _encode(img: PILImage.Image, fmt: str) -> bytes:
    out = BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        img.convert("RGBA" if _has_alpha(img) else "RGB").save(out, "WEBP", quality=88)
    else:
        img.save(out, "PNG", optimize=True)
    return out.getvalue()


def process_image(data: bytes, max_bytes: int) -> Processed:
    """Validate and prepare an upload; raises FILE_TOO_LARGE or INVALID_IMAGE."""
    if len(data) > max_bytes:
        raise errors.FILE_TOO_LARGE(limit_mb=round(max_bytes / 1024 / 1024, 1), size=len(data))
    if not data:
        raise errors.INVALID_IMAGE()
    try:
        with PILImage.open(BytesIO(data)) as probe:  # reads the header only
            fmt = probe.format or ""
            width, height = probe.size
            if fmt not in _FORMATS or width < 1 or height < 1:
                raise errors.INVALID_IMAGE(format=fmt, width=width, height=height)
            image_gate.check_pixels(width, height)
            probe.verify()
    except (UnidentifiedImageError, PILImage.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise errors.INVALID_IMAGE() from None
    with image_gate.decoding():
        return _decode(data, fmt)


def _decode(data: bytes, fmt: str) -> Processed:
    try:
        with PILImage.open(BytesIO(data)) as opened:
            opened.load()  # a truncated or corrupt body fails here, not when someone views it
            img: PILImage.Image = opened
            if _has_alpha(img) and img.mode != "RGBA":
                img = img.convert("RGBA")
            upright = ImageOps.exif_transpose(img)
            original = _encode(upright, fmt)
            thumb_img = upright.copy()
            thumb_img.thumbnail((THUMB_SIZE, THUMB_SIZE))
            thumb_fmt = "PNG" if _has_alpha(thumb_img) else "JPEG"
            thumb = _encode(thumb_img, thumb_fmt)
            width, height = upright.size
    except (UnidentifiedImageError, PILImage.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise errors.INVALID_IMAGE() from None
    content_type, suffix = _FORMATS[fmt]
    thumb_type, thumb_suffix = _FORMATS[thumb_fmt]
    return Processed(original, content_type, suffix, width, height, thumb, thumb_type, thumb_suffix)


def add_image(
    session: Session,
    storage: FileStorage,
    principal: Principal,
    product_id: int,
    filename: str,
    content_type: str,
    data: bytes,
    *,
    shop_id: int | None = None,
    max_bytes: int | None = None,
) -> ImageOut:
    """Append an image (the first one is the cover). ``filename`` and ``content_type`` are what the
    client said; only the decoded content counts. A new image is reviewed content (see lifecycle)."""
    product = editable_product(session, principal, product_id, shop_id=shop_id)
    count = len(product.images)
    if count >= MAX_IMAGES:
        raise errors.TOO_MANY_IMAGES(limit=MAX_IMAGES)
    processed = process_image(data, max_bytes if max_bytes is not None else get_settings().max_upload_bytes)
    folder = f"catalog/{product.id}"
    image = Image(
        position=count,
        storage_key=storage.put(folder, processed.suffix, processed.original),
        thumb_key=storage.put(folder, processed.thumb_suffix, processed.thumb),
        width=processed.width,
        height=processed.height,
        content_type=processed.content_type,
        thumb_content_type=processed.thumb_content_type,
        size_bytes=len(processed.original),
        uploaded_by=principal.user_id,
        uploaded_at=clock.now(),
    )
    product.images.append(image)
    product.updated_at = clock.now()
    session.flush()
    record_event(
        session, product, ProductEventKind.IMAGE_ADDED, principal.user_id, data={"image_id": image.id}
    )
    content_changed(session, product, principal.user_id, ["images"])
    session.flush()
    return image_out(image)


def delete_image(
    session: Session, principal: Principal, product_id: int, image_id: int, *, shop_id: int | None = None
) -> tuple[ProductOut, list[str]]:
    """Remove an image and close the gap in positions. Returns the product and the storage keys
    to delete once the transaction has committed (deleting earlier could lose a file a rollback
    still needs)."""
    product = editable_product(session, principal, product_id, shop_id=shop_id)
    image = next((i for i in product.images if i.id == image_id), None)
    if image is None:
        raise errors.IMAGE_NOT_FOUND(image_id=image_id)
    keys = [image.storage_key, image.thumb_key]
    gone = image.position
    product.images.remove(image)
    session.flush()
    # One row at a time, lowest first, so the unique (product, position) never sees two alike.
    for later in sorted((i for i in product.images if i.position > gone), key=lambda i: i.position):
        later.position -= 1
        session.flush()
    product.updated_at = clock.now()
    record_event(
        session, product, ProductEventKind.IMAGE_REMOVED, principal.user_id, data={"image_id": image_id}
    )
    content_changed(session, product, principal.user_id, ["images"])
    session.flush()
    return product_out(product), keys


def image_file(
    session: Session, principal: Principal | None, product_id: int, image_id: int, *, thumb: bool = False
) -> StoredFile:
    """Where an image's bytes are. Anyone may fetch images of a product on the shelf; otherwise
    only its shop's members and governance staff, and everyone else gets IMAGE_NOT_FOUND."""
    image = session.scalar(select(Image).where(Image.id == image_id, Image.product_id == product_id))
    if image is None:
        raise errors.IMAGE_NOT_FOUND(image_id=image_id)
    public = is_visible(session, product_id)
    if not public:
        allowed = principal is not None and (
            principal.is_staff
            or shops.member_role(session, load_product(session, product_id).shop_id, principal.user_id)
            is not None
        )
        if not allowed:
            raise errors.IMAGE_NOT_FOUND(image_id=image_id)
    if thumb:
        return StoredFile(image.thumb_key, image.thumb_content_type, public)
    return StoredFile(image.storage_key, image.content_type, public)

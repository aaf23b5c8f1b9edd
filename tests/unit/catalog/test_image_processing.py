"""Uploads are judged by decoding them, not by their name or claimed type."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from laotie.catalog.images import MAX_PIXELS, THUMB_SIZE, process_image
from laotie.core.errors import AppError
from tests.factories.catalog import image_bytes

LIMIT = 5 * 1024 * 1024


def _open(data: bytes) -> Image.Image:
    img = Image.open(BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_real_images_are_accepted_and_thumbnailed(fmt: str, content_type: str) -> None:
    done = process_image(image_bytes(1200, 900, fmt), LIMIT)
    assert (done.content_type, done.width, done.height) == (content_type, 1200, 900)
    assert _open(done.original).size == (1200, 900)
    thumb = _open(done.thumb)
    assert max(thumb.size) == THUMB_SIZE and thumb.size == (400, 300)
    assert done.thumb_content_type == "image/jpeg"


def test_small_images_are_not_blown_up() -> None:
    done = process_image(image_bytes(120, 80), LIMIT)
    assert _open(done.thumb).size == (120, 80)


def test_transparent_images_keep_their_alpha_in_the_thumbnail() -> None:
    out = BytesIO()
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(out, "PNG")
    done = process_image(out.getvalue(), LIMIT)
    assert done.thumb_content_type == "image/png"
    assert _open(done.thumb).mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"definitely not a picture",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing after it
        image_bytes(300, 300, "PNG")[:200],  # truncated
        image_bytes(300, 300, "GIF"),  # a real image, but not an accepted format
        image_bytes(300, 300, "BMP"),
    ],
    ids=["empty", "text", "fake-signature", "truncated", "gif", "bmp"],
)
def test_non_images_and_other_formats_are_refused(data: bytes) -> None:
    with pytest.raises(AppError) as caught:
        process_image(data, LIMIT)
    assert caught.value.code == "INVALID_IMAGE"


def test_oversized_files_are_refused_before_decoding() -> None:
    data = image_bytes(300, 300)
    with pytest.raises(AppError) as caught:
        process_image(data, len(data) - 1)
    assert (caught.value.code, caught.value.status) == ("FILE_TOO_LARGE", 413)
    assert process_image(data, len(data)).width == 300


def test_huge_canvases_are_refused() -> None:
    out = BytesIO()
    side = int(MAX_PIXELS**0.5) + 10
    Image.new("1", (side, side)).save(out, "PNG")  # a few KB on disk, too many pixels to decode
    with pytest.raises(AppError) as caught:
        process_image(out.getvalue(), LIMIT)
    assert caught.value.code == "IMAGE_TOO_MANY_PIXELS"


def test_exif_is_dropped_and_orientation_applied() -> None:
    img = Image.new("RGB", (600, 300), (10, 120, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    exif[0x010F] = "SecretCam"
    out = BytesIO()
    img.save(out, "JPEG", exif=exif)
    done = process_image(out.getvalue(), LIMIT)
    cleaned = _open(done.original)
    assert cleaned.size == (300, 600) and (done.width, done.height) == (300, 600)
    assert not cleaned.getexif()

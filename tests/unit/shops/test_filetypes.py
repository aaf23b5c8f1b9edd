from __future__ import annotations

import io

import pytest
from PIL import Image

from laotie.core.errors import AppError
from laotie.shops.filetypes import MAX_PIXELS, sniff
from tests.factories.shops import image_bytes, pdf_bytes


@pytest.mark.parametrize(
    ("fmt", "content_type", "suffix"),
    [("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"), ("WEBP", "image/webp", ".webp")],
)
def test_images_are_recognised_by_content(fmt: str, content_type: str, suffix: str) -> None:
    assert sniff(image_bytes(fmt)) == (content_type, suffix)


def test_pdf_by_magic_bytes() -> None:
    assert sniff(pdf_bytes()) == ("application/pdf", ".pdf")


@pytest.mark.parametrize(
    "data",
    [
        b"just some text pretending to be a licence",
        b"<html><script>alert(1)</script></html>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature with nothing valid behind it
        image_bytes("PNG")[:60],  # a truncated PNG
        image_bytes("GIF"),  # a real image, but not an accepted format
        b"MZ\x90\x00" + b"\x00" * 100,  # an executable
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(AppError) as caught:
        sniff(data)
    assert caught.value.code == "UNSUPPORTED_FILE_TYPE"


def test_empty_file() -> None:
    with pytest.raises(AppError) as caught:
        sniff(b"")
    assert caught.value.code == "EMPTY_FILE"


def test_images_with_too_many_pixels_are_not_decoded() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    buffer = io.BytesIO()
    # One bit per pixel keeps the test's own memory small; the file is a few kilobytes.
    Image.new("1", (side, side)).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data) < 100_000
    with pytest.raises(AppError) as caught:
        sniff(data)
    assert caught.value.details == {"problem": "too_many_pixels"}

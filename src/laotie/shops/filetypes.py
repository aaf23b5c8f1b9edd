"""What an uploaded document really is, judged by its bytes, never by its name or declared type."""

from __future__ import annotations

import io
from typing import NamedTuple

from PIL import Image

from laotie.shops import errors

# A licence scanned at 600 dpi on A3 stays well below this; anything larger is refused rather than
# decoded, so a small file that inflates to gigabytes of pixels cannot exhaust memory.
MAX_PIXELS = 40_000_000
_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}


class FileType(NamedTuple):
    content_type: str
    suffix: str


def sniff(data: bytes) -> FileType:
    """PDF by its magic bytes; JPEG, PNG and WebP by decoding them with Pillow."""
    if not data:
        raise errors.EMPTY_FILE()
    if data.startswith(b"%PDF-"):
        return FileType("application/pdf", ".pdf")
    try:
        with Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS)) as image:
            fmt = image.format or ""
            width, height = image.size
            oversized = width * height > MAX_PIXELS
            if not oversized:
                # Decoding the pixels catches truncated or corrupt files that only look right at the start.
                image.load()
    except Exception:  # Pillow raises many kinds for non-images and broken images alike
        raise errors.UNSUPPORTED_FILE_TYPE() from None
    if oversized:
        raise errors.UNSUPPORTED_FILE_TYPE(problem="too_many_pixels")
    if fmt not in _IMAGE_FORMATS:
        raise errors.UNSUPPORTED_FILE_TYPE()
    return FileType(*_IMAGE_FORMATS[fmt])

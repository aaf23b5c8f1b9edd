"""What an uploaded document really is, judged by its bytes, never by its name or declared type.

A PDF is parsed (pypdf, tolerant of the small offset errors common tools write): anything that
merely starts with ``%PDF-`` but has no readable trailer, catalogue and page tree is refused with
``INVALID_PDF``, as is an encrypted one (staff could not read it) and one with no pages or more than
``MAX_PDF_PAGES``. The file is stored as
sent: staff download it (never rendered inline), so a well-formed PDF needs no re-encoding.
"""

from __future__ import annotations

import io
from typing import NamedTuple

from PIL import Image
from pypdf import PdfReader

from laotie.core import image_gate
from laotie.core.errors import AppError
from laotie.shops import errors

# A licence scanned at 300 dpi on A3 (~17 MP) stays below this; anything larger is refused rather
# than decoded, so a small file that inflates to gigabytes of pixels cannot exhaust memory, and
# decodes are bounded per process (core.image_gate).
MAX_PIXELS = image_gate.MAX_PIXELS
_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}


# A licence or permit is a few pages; a long document is not what the review asks for.
MAX_PDF_PAGES = 50


class FileType(NamedTuple):
    content_type: str
    suffix: str


def sniff(data: bytes) -> FileType:
    """PDF by its magic bytes; JPEG, PNG and WebP by decoding them with Pillow."""
    if not data:
        raise errors.EMPTY_FILE()
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return FileType("application/pdf", ".pdf")
    try:
        with Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS)) as image:
            fmt = image.format or ""
            width, height = image.size
            oversized = width * height > MAX_PIXELS
            if not oversized:
                # Decoding the pixels catches truncated or corrupt files that only look right at the start.
                with image_gate.decoding():
                    image.load()
    except AppError:
        raise  # IMAGE_BUSY
    except Exception:  # Pillow raises many kinds for non-images and broken images alike
        raise errors.UNSUPPORTED_FILE_TYPE() from None
    if oversized:
        raise errors.UNSUPPORTED_FILE_TYPE(problem="too_many_pixels")
    if fmt not in _IMAGE_FORMATS:
        raise errors.UNSUPPORTED_FILE_TYPE()
    return FileType(*_IMAGE_FORMATS[fmt])


def _check_pdf(data: bytes) -> None:
    """INVALID_PDF unless pypdf reads the document's structure: trailer, catalogue, page tree."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise errors.INVALID_PDF(problem="encrypted")
        pages = len(reader.pages)
        for page in reader.pages:
            _ = page.mediabox  # every page names its size: a page tree of junk fails here
    except AppError:
        raise
    except Exception:  # pypdf raises many kinds (PdfReadError, KeyError, ValueError…) for broken files
        raise errors.INVALID_PDF(problem="unreadable") from None
    if not 1 <= pages <= MAX_PDF_PAGES:
        raise errors.INVALID_PDF(problem="pages", pages=pages, max_pages=MAX_PDF_PAGES)

"""Decoding uploaded images without letting them take the server's memory and CPU.

A PNG of a few kilobytes can declare 40 megapixels: decoding it costs ~1.5 s of CPU and ~400 MB, and
sixteen at once took a server to 3 GB. So every decode of an upload goes through here:

* the size is read from the header first (``Image.open`` reads no pixels) and a picture over
  ``image_max_pixels`` is refused with ``IMAGE_TOO_MANY_PIXELS`` before one pixel is decoded; Pillow's
  own ``MAX_IMAGE_PIXELS`` is set to the same number, so a path that forgets the check still stops
  (``DecompressionBombError``) instead of decoding;
* decodes run at most ``image_decode_concurrency`` at a time per process (a semaphore around the
  decoding step; request threads beyond it wait); one that waits longer than
  ``image_decode_wait_seconds`` is refused with ``IMAGE_BUSY`` (503, retry later) instead of piling up.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

from laotie.core.errors import ErrorKind
from laotie.settings import get_settings

IMAGE_TOO_MANY_PIXELS = ErrorKind(
    "IMAGE_TOO_MANY_PIXELS",
    422,
    "图片尺寸过大（{width}×{height}），不能超过{max_pixels}像素",
    "The picture is too large ({width}×{height}); at most {max_pixels} pixels",
)
IMAGE_BUSY = ErrorKind("IMAGE_BUSY", 503, "图片处理繁忙，请稍后重试", "Busy processing images; retry shortly")

_settings = get_settings()
MAX_PIXELS = _settings.image_max_pixels
# Pillow refuses (DecompressionBombError) past twice this and warns past it; the check below refuses
# past it with a stable code, before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow warns when it opens a picture between one and two limits; check_pixels refuses it anyway.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
_decodes = threading.BoundedSemaphore(_settings.image_decode_concurrency)


def check_pixels(width: int, height: int) -> None:
    """Refuse a picture whose header declares more pixels than the limit (nothing decoded yet)."""
    if width * height > MAX_PIXELS:
        raise IMAGE_TOO_MANY_PIXELS(width=width, height=height, max_pixels=MAX_PIXELS)


@contextmanager
def decoding() -> Iterator[None]:
    """Hold one of the process's decode slots for the ``with`` block."""
    if not _decodes.acquire(timeout=get_settings().image_decode_wait_seconds):
        raise IMAGE_BUSY()
    try:
        yield
    finally:
        _decodes.release()

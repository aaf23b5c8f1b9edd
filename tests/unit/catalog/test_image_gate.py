"""Issue 9 item 8: a small file declaring a huge picture is refused before decoding; decodes are
bounded per process; Pillow's own bomb guard is set to the same limit."""

from __future__ import annotations

import threading
import time
from io import BytesIO

import pytest
from PIL import Image

from laotie.catalog import images
from laotie.catalog.images import process_image
from laotie.core import image_gate
from laotie.core.errors import AppError
from laotie.settings import get_settings
from tests.factories.catalog import image_bytes

LIMIT = 5 * 1024 * 1024


def bomb_png(width: int = 8000, height: int = 5000) -> bytes:
    """40 megapixels of one colour: a few kilobytes on disk, ~160 MB once decoded as RGBA."""
    out = BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_a_small_png_of_40_megapixels_is_refused_before_any_pixel_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = bomb_png()
    assert len(data) < 128 * 1024
    loads: list[object] = []
    real_load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: loads.append(self) or real_load(self))
    with pytest.raises(AppError) as caught:
        process_image(data, LIMIT)
    assert (caught.value.code, caught.value.status) == ("IMAGE_TOO_MANY_PIXELS", 422)
    assert caught.value.details == {"width": 8000, "height": 5000, "max_pixels": image_gate.MAX_PIXELS}
    assert loads == []  # the header was enough


def test_pillow_refuses_bombs_on_its_own_too() -> None:
    assert Image.MAX_IMAGE_PIXELS == image_gate.MAX_PIXELS == get_settings().image_max_pixels
    with pytest.raises(Image.DecompressionBombError):
        Image.open(BytesIO(bomb_png(9000, 6000)))  # over twice the limit: refused at open


def test_decodes_run_at_most_the_configured_number_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    real_decode = images._decode

    def watched(data: bytes, fmt: str) -> images.Processed:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        try:
            return real_decode(data, fmt)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(images, "_decode", watched)
    data = image_bytes(600, 400, "PNG")
    threads = [threading.Thread(target=process_image, args=(data, LIMIT)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == get_settings().image_decode_concurrency == 2


def test_a_decode_that_waits_too_long_is_told_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "image_decode_wait_seconds", 0.05)
    slots = get_settings().image_decode_concurrency
    for _ in range(slots):
        assert image_gate._decodes.acquire(timeout=1)
    try:
        with pytest.raises(AppError) as caught:
            process_image(image_bytes(60, 40, "PNG"), LIMIT)
        assert (caught.value.code, caught.value.status) == ("IMAGE_BUSY", 503)
    finally:
        for _ in range(slots):
            image_gate._decodes.release()
    assert process_image(image_bytes(60, 40, "PNG"), LIMIT).width == 60

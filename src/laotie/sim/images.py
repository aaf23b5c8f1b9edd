"""Generated pictures for the demo: product photos stand-ins and scanned-licence stand-ins.

A product image is a colour gradient with the product's short name drawn in a CJK font. Without a
CJK font on the machine the pictures keep their colours and shapes and leave the words out, rather
than drawing empty boxes.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
SIZE = 640

Font = ImageFont.FreeTypeFont


@lru_cache(maxsize=1)
def _font_path() -> Path | None:
    return next((p for p in FONT_CANDIDATES if p.exists()), None)


@lru_cache(maxsize=16)
def font(size: int) -> Font | None:
    path = _font_path()
    return ImageFont.truetype(str(path), size) if path else None


def has_cjk_font() -> bool:
    return _font_path() is not None


RGB = tuple[int, int, int]


def _palette(key: str) -> tuple[RGB, RGB, RGB]:
    """Light and dark background colours and a dark ink, always the same for the same key."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = digest[0] / 255
    shift = 0.06 + digest[1] / 255 * 0.12

    def rgb(h: float, lightness: float, saturation: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
        return int(r * 255), int(g * 255), int(b * 255)

    return rgb(hue, 0.62, 0.75), rgb(hue + shift, 0.42, 0.7), rgb(hue + shift, 0.28, 0.75)


@lru_cache(maxsize=4)
def _diagonal(size: int) -> Image.Image:
    vertical = Image.linear_gradient("L").resize((size, size))
    # Averaging a vertical and a horizontal ramp gives a smooth diagonal one.
    return ImageChops.add(vertical, vertical.transpose(Image.Transpose.ROTATE_90), scale=2.0)


def _gradient(size: int, top: RGB, bottom: RGB) -> Image.Image:
    mask = _diagonal(size)
    return Image.composite(Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), mask)


def _wrap(text: str, per_line: int) -> list[str]:
    return [text[i : i + per_line] for i in range(0, len(text), per_line)][:3]


def _centered(draw: ImageDraw.ImageDraw, y: float, text: str, fnt: Font, fill: tuple[int, ...]) -> float:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=fnt)
    draw.text(((SIZE - (right - left)) / 2 - left, y - top), text, font=fnt, fill=fill)
    return bottom - top


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=False)
    return out.getvalue()


def product_image(
    short: str, subtitle: str, key: str, variant: int = 0, badge: str | None = "老铁好物"
) -> bytes:
    """A square JPEG: gradient, a light card, the short name and a subtitle (and a corner badge,
    left out of live covers, where the page puts its own 直播中)."""
    light, dark, ink = _palette(key)
    image = _gradient(SIZE, light, dark)
    draw = ImageDraw.Draw(image, "RGBA")
    # A few soft circles make each picture a little different.
    digest = hashlib.sha256(f"{key}:{variant}".encode()).digest()
    for i in range(3):
        r = 60 + digest[i] % 140
        cx, cy = digest[3 + i] / 255 * SIZE, digest[6 + i] / 255 * SIZE
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 40))
    margin = 70
    draw.rounded_rectangle(
        (margin, 150, SIZE - margin, SIZE - 150),
        radius=36,
        fill=(255, 255, 255, 215 if variant == 0 else 160),
    )
    big, small, tag = font(76 if len(short) <= 5 else 60), font(30), font(26)
    if big and small and tag:
        lines = _wrap(short, 6)
        height = sum(draw.textbbox((0, 0), line, font=big)[3] + 14 for line in lines)
        y = SIZE // 2 - height // 2 - 20
        for line in lines:
            y += _centered(draw, y, line, big, (*ink, 255)) + 14
        _centered(draw, y + 16, subtitle if variant == 0 else "细节实拍", small, (90, 90, 90, 255))
        if badge:
            draw.rounded_rectangle((24, 24, 178, 70), radius=23, fill=(255, 80, 0, 235))
            draw.text((44, 33), badge, font=tag, fill=(255, 255, 255, 255))
    return _jpeg(image)


def document_image(title: str, holder: str, number: str) -> bytes:
    """A stand-in for a scanned licence: bordered certificate with its title and holder."""
    width, height = 900, 620
    image = Image.new("RGB", (width, height), (252, 250, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((18, 18, width - 18, height - 18), outline=(190, 40, 40), width=6)
    draw.rectangle((34, 34, width - 34, height - 34), outline=(190, 40, 40), width=2)
    big, normal = font(58), font(30)
    if big and normal:
        box = draw.textbbox((0, 0), title, font=big)
        draw.text(((width - (box[2] - box[0])) / 2, 90), title, font=big, fill=(170, 30, 30))
        draw.text((110, 250), f"名　　称：{holder}", font=normal, fill=(40, 40, 40))
        draw.text((110, 310), f"证件编号：{number}", font=normal, fill=(40, 40, 40))
        draw.text((110, 370), "有效期至：长期", font=normal, fill=(40, 40, 40))
        draw.text((110, 470), "（演示数据，非真实证照）", font=normal, fill=(150, 150, 150))
    draw.ellipse((width - 260, height - 250, width - 90, height - 80), outline=(200, 30, 30), width=5)
    return _jpeg(image)

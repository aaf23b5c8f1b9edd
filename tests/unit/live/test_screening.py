from __future__ import annotations

import pytest

from laotie.live.screening import screen


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("主播好美，加我微信聊", "banned_word"),
        ("私下交易更便宜", "banned_word"),
        ("打我电话 138 0013 8000", "off_platform_contact"),
        ("电话一三八００一三八０００", "off_platform_contact"),
        ("vx: laotie_2024", "off_platform_contact"),
        ("QQ号 12345678", "off_platform_contact"),
    ],
)
def test_blocked(text: str, reason: str) -> None:
    verdict = screen(text)
    assert not verdict.allowed and verdict.reason == reason


@pytest.mark.parametrize("text", ["这件衣服有XL吗", "3号链接还有货吗？", "价格 199 元太值了", "主播讲讲尺码"])
def test_allowed(text: str) -> None:
    assert screen(text).allowed

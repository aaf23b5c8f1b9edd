"""The tag table read from review words: hand-checked sentences, negations and size advice."""

from __future__ import annotations

import pytest

from laotie.reviews.tags import TAG_KEYWORDS, extract_tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("质量很好，就是尺码偏小，建议拍大一码", ["尺码偏小", "质量好"]),
        ("衣服大了一码，偏大", ["尺码偏大"]),
        ("不偏小，没有色差，物流很快", ["物流快"]),
        ("做工粗糙，有色差，和图片不一样", ["做工差", "色差"]),
        ("性价比很高，包装严实，客服很耐心", ["性价比高", "服务好", "包装好"]),
        ("物 流 很 快", ["物流快"]),  # spaces between characters do not hide a phrase
        ("还行", []),
        ("", []),
    ],
)
def test_tags_from_words(text: str, tags: list[str]) -> None:
    assert extract_tags(text) == tags


def test_every_tag_fits_its_column_and_has_phrases() -> None:
    for tag, phrases in TAG_KEYWORDS.items():
        assert 0 < len(tag) <= 20 and phrases

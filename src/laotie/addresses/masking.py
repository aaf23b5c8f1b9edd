"""How a buyer's name and street address look to a merchant before the order ships (脱敏)."""

from __future__ import annotations

# Two-character surnames, so that 欧阳娜娜 masks to 欧阳** rather than 欧***: the name still reads as
# a name to the merchant, and no more of the given name shows than for a one-character surname.
_COMPOUND = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 轩辕 呼延 南宫 "
    "万俟 闻人 澹台 公冶 太史 申屠 钟离 独孤 西门 百里 东郭 赫连 拓跋 第五 左丘 濮阳"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())
# However long the hidden part, the same mark: its length would tell how long the street line is.
DETAIL_MARK = "****"
DETAIL_VISIBLE = 3


def mask_name(name: str) -> str:
    """``张三`` -> ``张*``, ``张三丰`` -> ``张**``, ``欧阳娜娜`` -> ``欧阳**``, ``Alice`` -> ``A****``."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_detail(detail: str) -> str:
    """``文三路478号华星时代广场A座1201`` -> ``文三路****``: the first few characters, never more than half."""
    detail = detail.strip()
    visible = min(DETAIL_VISIBLE, len(detail) // 2)
    return detail[:visible] + DETAIL_MARK

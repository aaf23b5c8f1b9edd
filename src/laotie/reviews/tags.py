"""Tags read from a review's words (尺码偏小, 质量好 …): the keyword table the product page counts.

Plain substring matching over the table below, no segmentation: reviews are short and the phrases
are specific, so jieba would add a dictionary load and little accuracy. A keyword right after a
negation (不, 没, 没有, 无, 并不) does not count: 不偏小 and 没有色差 tag nothing; nor one right after
advice (拍, 买, 建议 …): 建议拍大一码 says the item is small (it is in 尺码偏小's list), not large. Extend the table here;
tags are computed when a review or its follow-up is written, so a new keyword applies to new text.
"""

from __future__ import annotations

# tag -> the phrases that mean it. Order here is the order a review shows its tags in.
TAG_KEYWORDS: dict[str, tuple[str, ...]] = {
    "尺码偏小": (
        "拍大一码",
        "买大一码",
        "选大一码",
        "拍大一号",
        "买大一号",
        "偏小",
        "尺码小",
        "码偏小",
        "小了一码",
        "小一码",
        "小了一号",
        "小一号",
        "有点小",
        "太小了",
        "偏紧",
    ),
    "尺码偏大": ("偏大", "尺码大", "码偏大", "大了一码", "大一码", "大了一号", "大一号", "有点大", "太大了"),
    "尺码标准": ("尺码标准", "尺码合适", "大小合适", "大小正好", "码数标准", "尺码正"),
    "质量好": (
        "质量好",
        "质量很好",
        "质量不错",
        "质量挺好",
        "质感好",
        "质感很好",
        "做工好",
        "做工精细",
        "做工不错",
    ),
    "做工差": ("做工差", "做工粗糙", "线头多", "开线", "质量差", "质量不好", "质量一般", "起球", "掉色"),
    "色差": ("色差", "颜色不一样", "和图片不一样", "跟图片不一样", "颜色偏差"),
    "物流快": (
        "物流快",
        "物流很快",
        "发货快",
        "发货很快",
        "快递快",
        "快递很快",
        "送货快",
        "第二天就到",
        "次日达",
    ),
    "物流慢": ("物流慢", "发货慢", "快递慢", "等了好久", "物流太慢"),
    "性价比高": ("性价比高", "性价比很高", "性价比超高", "物超所值", "很划算", "超值", "价格实惠"),
    "服务好": (
        "服务好",
        "服务很好",
        "客服好",
        "客服很好",
        "客服耐心",
        "客服很耐心",
        "很耐心",
        "态度好",
        "态度很好",
    ),
    "包装好": ("包装好", "包装很好", "包装精美", "包装严实", "包装用心"),
    "味道好": ("好吃", "味道好", "味道很好", "口感好", "口感很好", "很香"),
    "与描述不符": ("与描述不符", "和描述不符", "货不对板", "与图片不符", "和图片不符"),
}
NEGATIONS = ("不", "没", "没有", "无", "并不", "不会")
# 拍大一码 is advice about a small item, not a large one: after these a size phrase is not a description.
ADVICE = ("拍", "买", "选", "要", "建议")


def _preceded(text: str, at: int, words: tuple[str, ...]) -> bool:
    return any(text[max(at - len(w), 0) : at] == w for w in words)


def _mentions(text: str, phrase: str) -> bool:
    advice = () if phrase.startswith(ADVICE) else ADVICE
    start = text.find(phrase)
    while start != -1:
        if not _preceded(text, start, NEGATIONS + advice):
            return True
        start = text.find(phrase, start + 1)
    return False


def extract_tags(text: str) -> list[str]:
    """The tags ``text`` mentions, in table order, each once."""
    squeezed = "".join(text.split())
    return [tag for tag, phrases in TAG_KEYWORDS.items() if any(_mentions(squeezed, p) for p in phrases)]

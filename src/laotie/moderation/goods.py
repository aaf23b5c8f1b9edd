"""Prohibited goods (违禁品) and review bribery (好评返现).

Prohibited: weapons, drugs, counterfeits, surveillance gear, forged papers and invoices, traded
bank cards and identities, protected wildlife, gambling, sexual services. Tools that share a word
with them stay allowed (筋膜枪, 水枪, 热熔胶枪, 防偷拍, 仿真花, 高仿真婴儿玩偶).

Review bribery: money, gifts or refunds offered for a good rating or for removing a bad one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from laotie.moderation.normalise import MAX_MATCHES, Normalised


@dataclass(frozen=True)
class GoodsHit:
    reason: str
    start: int
    end: int


_PROHIBITED = re.compile(
    r"仿真枪|(?<![打充])气枪|猎枪|枪支|手枪(?!钻)|步枪|枪管|子弹(?!头?短裤|杯)|弹药|火药|炸药|雷管|弓弩|军刺|管制刀具"
    r"|毒品|冰毒|海洛因|大麻(?!籽油)|摇头丸|k粉|麻古|迷药|迷幻|迷魂|听话水|催情|春药|蒙汗药|笑气"
    r"|窃听|针孔摄像|(?<!防)偷拍|(?<!防)偷窥|定位跟踪"
    r"|高仿(?!真)|a货|精仿|一比一复刻|1比1复刻|11复刻|复刻(?:包|表|名表)"
    r"|假证|办证|代开发票|发票代开|代开.{0,2}票|刻章|假文凭"
    r"|银行卡四件套|出售银行卡|收购银行卡|出租银行卡|买卖身份证|实名手机卡|信用卡套现"
    r"|象牙|犀牛角|穿山甲|虎骨|熊胆|玳瑁|野生保护动物"
    r"|赌博|博彩|赌球|六合彩|私彩|百家乐|代孕|卖卵|裸聊|色情|约炮|援交"
    r"|刷单|刷好评|刷销量"  # fraud offers, kept with the goods as the first word list did
)
_BRIBERY = re.compile(
    r"好评(?:有)?(?:返|送|奖|有礼|红包|立减|领)|(?:五星|5星|带图|晒图|追评|评价|给好评).{0,6}(?:返现|返[0-9一二三四五六七八九十]{1,3}|红包|送|领|奖励)"
    r"|返现.{0,4}好评|删(?:除)?差评|改(?:成)?好评|差评(?:改|删).{0,6}(?:补偿|返|红包|退)"
)


def find(n: Normalised) -> list[GoodsHit]:
    flat = n.flat
    hits: list[GoodsHit] = []
    for m in islice(_PROHIBITED.finditer(flat), MAX_MATCHES):
        hits.append(GoodsHit("prohibited_goods", *n.span(m.start(), m.end())))
    for m in islice(_BRIBERY.finditer(flat), MAX_MATCHES):
        hits.append(GoodsHit("review_bribery", *n.span(m.start(), m.end())))
    return hits

"""Words the detectors look for, and the sound-alike classes built from pypinyin.

People replace the characters of a name the filters know with others read the same way: 微信 becomes
薇信, 威信, 维芯, 喂心; 扣扣 becomes 抠抠 or 叩叩; 淘宝 becomes 桃宝. Rather than list every variant,
a class holds every common character (GB 2312, the 6,763 everyday characters) whose first reading in
pypinyin's dictionary is the syllable, minus the function words that would make ordinary sentences
match (为 位 未 味 …). Everything is lower case and simplified: the text reaches the patterns
normalised (see ``normalise``).
"""

from __future__ import annotations

from functools import cache

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict


@cache
def _by_first_reading() -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for codepoint, readings in pinyin_dict.items():
        if not 0x4E00 <= codepoint <= 0x9FFF:
            continue
        ch = chr(codepoint)
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        found.setdefault(to_normal(readings.split(",")[0]), []).append(ch)
    return {syllable: "".join(chars) for syllable, chars in found.items()}


def sounds(syllable: str, *, without: str = "", plus: str = "") -> str:
    """Everyday characters read ``syllable`` first (a regex character class body)."""
    chars = [c for c in _by_first_reading().get(syllable, "") if c not in without] + list(plus)
    return "".join(dict.fromkeys(chars))


# 微信 and its sound-alikes; 徽 looks like 微. Function words that would turn 为新 / 唯心 / 未信 into
# "WeChat" are left out.
WEI = sounds("wei", without="为伪位危味唯围圩委尾帷惟慰未违谓胃畏诿韦囗魏伟纬尉隈逶闱韪鲔艉軎", plus="徽")
XIN = sounds("xin", without="囟忄衅")
KOU = sounds("kou", without="口眍芤")
TAO = sounds("tao", without="讨逃套涛滔")
DOU = sounds("dou", without="都陡")
YIN = sounds("yin", without="因引印隐淫")
PIN = sounds("pin", without="品贫")
XIAN = sounds("xian", without="先县现限线显险献陷宪")
QI = sounds("qi", without="七其起气器期齐奇企")  # 企 is in the literal 企鹅

# The forms WeChat takes in a comment. Letters are joined (the flat view drops separators).


def syllables(*parts: str) -> str:
    """A word written with each syllable as a sound-alike character or in pinyin: 抖音, 斗音, dou音, 抖yin."""
    return "".join(f"(?:[{sounds(p, without=_STOP.get(p, ''))}]|{p})" for p in parts)


_STOP = {
    "wei": "为伪位危味唯围圩委尾帷惟慰未违谓胃畏诿韦囗魏伟纬尉隈逶闱韪鲔艉軎",
    "xin": "囟忄衅",
    "kou": "口眍芤",
    "tao": "讨逃套涛滔",
    "dou": "都陡",
    "yin": "因引印隐淫",
    "xian": "先县现限线显险献陷宪",
}
# The forms WeChat takes in a comment. Letters are joined (the flat view drops separators).
WECHAT_WORDS = (
    rf"[{WEI}]\+?[{XIN}]|[{WEI}]亻言|{syllables('wei', 'xin')}|wechat|weichat|vx|wx|v信|v芯|v心|卫星|绿泡泡|绿色泡泡"
    r"|绿色(?:的)?(?:聊天)?(?:软件|app)|绿(?:色)?app|vchat"
)
# WeChat slang that is also an ordinary word (小绿瓶 is a serum): only with a handle or a word end.
WECHAT_SLANG = r"小绿|绿软|绿色图标"
QQ_WORDS = rf"qq|{syllables('kou', 'kou')}|企鹅|[{QI}]鹅|扣扣"
PLATFORM_DISGUISED = (
    rf"某宝|t宝|淘b|某夕夕|[{PIN}并p](?:夕夕|xx|爹爹|dd)|某多多|某东|狗东|某音|某书|红书|某鱼|某猫|某团|某手|某宝"
    r"|[红黄橙蓝紫粉绿]色?的?(?:聊天|购物)?(?:软件|app|平台)"
)
PLATFORM_NAMES = (
    rf"{syllables('tao', 'bao')}|tb|天猫|tmall|拼多多|pdd|pinduoduo|[{PIN}]多多|多多|京东|jd|{syllables('xian')}(?:鱼|yu)"
    rf"|{syllables('dou', 'yin')}|dy|tiktok|小红书|xhs|红薯|微博|weibo|wb|视频号|公众号|小程序|微店|有赞|1688"
    r"|阿里巴巴|得物|唯品会|快团团|群接龙|b站|bilibili|哔哩哔哩|美团|饿了么|苏宁|亚马逊|amazon|ebay"
    r"|别的平台|其他平台|其它平台|外面平台|全网|各大平台"
)
# Characters that end a contact word: the end of the text, a separator (checked in code), or a
# word that cannot continue it (so 加微辣 / 微胖 / 微波炉 stay food, sizes and ovens).
WORD_END = "我你吧哦啊呀呢了嘛吗呗不哈详聊私号码同备看发给在:+@0123456789abcdefghijklmnopqrstuvwxyz"

# Where a number is an order, a parcel or an article, not a phone.
NUMBER_CONTEXT = (
    r"订单|单号|运单|快递|物流|编号|货号|款号|型号|条码|条形码|编码|批号|序列号|sn|imei|会员|身份证|工号"
    r"|学号|邮编|验证码|密码|发票|税号|许可证|标准|批次|追踪|查询|商品码|sku|spu|id号|中通|圆通|申通"
    r"|韵达|顺丰|邮政|京东快递|极兔|德邦|ems"
)
NUMBER_UNITS = (
    r"元|块|件|个|人|次|单|号|年|月|日|天|页|万|千|百|mah|毫安|g|克|kg|公斤|斤|两|米|cm|mm|ml|毫升|l|升"
    r"|w|瓦|v|伏|寸|码|粒|片|包|盒|箱|瓶|条|双|套|台|只|分|秒|小时|度|%|cc|km|公里|平|份|罐|袋|支|张"
)

"""Off-platform diversion (私下交易 / 导流): contact handles, other platforms, moving the talk or the money.

Each rule is a pattern over the normalised text (see ``normalise``) and, where a pattern alone would
catch ordinary talk, a check in code. A rule that fires gives a reason code and the span of the
original text it matched. The patterns use only bounded repetition over character classes and
alternations of literals, so that no input makes them backtrack without end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from laotie.moderation.lexicon import (
    NUMBER_CONTEXT,
    NUMBER_UNITS,
    PLATFORM_DISGUISED,
    PLATFORM_NAMES,
    QQ_WORDS,
    WECHAT_SLANG,
    WECHAT_WORDS,
    WEI,
    WORD_END,
)
from laotie.moderation.normalise import MAX_MATCHES, Normalised


@dataclass(frozen=True)
class Found:
    reason: str
    start: int  # in the original text
    end: int


Check = Callable[[Normalised, re.Match[str]], bool]

_ADD = r"(?:加|\+|添加|联系|找|留下?|给|发|私|滴滴|戳|问|扫头像加|备注)"
_FILL = r"(?:一下|我的|你的|个|下|我|你|的|一个|大号|小号|新号|好友)"
_WECHAT = rf"(?:{WECHAT_WORDS})"
_QQ = rf"(?:{QQ_WORDS})"
_PAYMENT_NEXT = r"(?!支付|付款|付钱|付的|付了|小程序|钱包|提醒|通知|登录|绑定|分享|上看|里看|扫码支付)"
_HANDLE = r"[a-z0-9]{5,25}"
_CARRIER_PREFIX = re.compile(r"(?:sf|yt|jt|jd|zt|st|yd|ems|db|ky|yz|sto|zto|yto|best|dpk|ss|sn|no)$")
_NUMBER_BEFORE = re.compile(rf"(?:{NUMBER_CONTEXT})[a-z0-9:]{{0,3}}$")
_UNIT_AFTER = re.compile(rf"(?:{NUMBER_UNITS})")
_LOGISTICS_WINDOW = re.compile(r"快递|物流|单号|发货|配送|自营快递|运单")


def _end_ok(n: Normalised, end: int) -> bool:
    """The contact word ends the text, is followed by a separator, or by a word that cannot continue it."""
    return end >= len(n.flat) or n.gap_before(end) or n.flat[end] in WORD_END


def _starts_word(n: Normalised, start: int) -> bool:
    """A match that begins with a Latin letter begins a word: "mywechat" holds "wechat" only if a
    separator stood between, "vivo" holds no "v"."""
    flat = n.flat
    if start == 0 or not ("a" <= flat[start] <= "z"):
        return True
    return not ("a" <= flat[start - 1] <= "z") or n.gap_before(start)


def _handle_ok(handle: str) -> bool:
    """A plausible account id: has a digit, or is long enough not to be a word."""
    return any(c.isdigit() for c in handle) or len(handle) >= 6


def _group_handle_ok(n: Normalised, m: re.Match[str]) -> bool:
    h = m.group("h")
    if h.startswith("同"):
        return True
    return _handle_ok(h)


def _wechat_handle(n: Normalised, m: re.Match[str]) -> bool:
    # "VX搜一下：tianmi_2288", "微信号是 abc123"; not "微信支付 13800 元".
    if re.search(r"支付|付|红包|钱包|小程序|转账", m.group("f")):
        return False
    return _group_handle_ok(n, m)


def _bare_v_handle(n: Normalised, m: re.Match[str]) -> bool:
    # "V：abc123", "v 13800138000": a separator after the v. "vivo x100" and "vlog" have none.
    return n.gap_before(m.start("h")) and _handle_ok(m.group("h"))


def _single_wei_handle(n: Normalised, m: re.Match[str]) -> bool:
    return n.gap_before(m.start("h")) and _handle_ok(m.group("h"))


def _word_end(n: Normalised, m: re.Match[str]) -> bool:
    """As ``_end_ok``; a letter or digit right after (no separator) must start a real handle, so that
    维c (vitamin C) or 微5 stay what they are."""
    end = m.end()
    if end < len(n.flat) and not n.gap_before(end) and n.flat[end].isascii() and n.flat[end].isalnum():
        rest = re.match(r"[a-z0-9]*", n.flat[end : end + 26])
        return rest is not None and len(rest.group(0)) >= 5 and any(c.isdigit() for c in rest.group(0))
    return _end_ok(n, end)


def _loose_v(n: Normalised, m: re.Match[str]) -> bool:
    # After 加 / + / 联系 a "v" is WeChat unless a word follows it (vip, vlog).
    end = m.end()
    if end >= len(n.flat) or n.gap_before(end):
        return True
    nxt = n.flat[end]
    if "a" <= nxt <= "z":
        rest = re.match(r"[a-z0-9]*", n.flat[end : end + 26])
        return rest is not None and len(rest.group(0)) >= 5 and _handle_ok(rest.group(0))
    return True


def _phone(n: Normalised, m: re.Match[str]) -> bool:
    start, end = m.start(), m.end()
    before = n.flat[max(0, start - 8) : start]
    if _NUMBER_BEFORE.search(before):
        return False
    letters = re.search(r"[a-z]{1,5}$", before)
    if letters and _CARRIER_PREFIX.search(letters.group(0)) and not n.gap_before(start):
        return False
    after = n.flat[end : end + 4]
    return not (after and not n.gap_before(end) and _UNIT_AFTER.match(after))


def _disguised_digits(n: Normalised, m: re.Match[str]) -> bool:
    """A long number most of whose digits were written to dodge a filter: 伍柒贰…, ①②③, 1️⃣, 1 3 8."""
    start, end = m.span()
    if _NUMBER_BEFORE.search(n.flat[max(0, start - 8) : start]):
        return False
    odd = 0
    for i in range(start, end):
        at = n.flat_at[i]
        written = n.original[at]
        keycap = at + 1 < len(n.original) and n.original[at + 1] in "\ufe0f\u20e3"
        if not ("0" <= written <= "9") or (i > start and n.gap_before(i)) or keycap:
            odd += 1
    return odd * 10 >= (end - start) * 6


def _platform_window(n: Normalised, m: re.Match[str]) -> bool:
    return _LOGISTICS_WINDOW.search(m.group(0)) is None


def _lone_si(n: Normalised, m: re.Match[str]) -> bool:
    # "私" said alone (…一手货源，私): at the end, or before a separator.
    end = m.end()
    return end >= len(n.flat) or n.gap_before(end)


def _qr(n: Normalised, m: re.Match[str]) -> bool:
    before = n.flat[max(0, m.start() - 4) : m.start()]
    after = n.flat[m.end() : m.end() + 3]
    return not re.search(r"防伪|溯源|验真|包装", before) and not re.match(
        r"验|查|防伪|溯源|支付|付款|枪|器|贴|牌|标|打印|生成|制作|设计|名片|在(?!主页|头像|简介|签名|评论|置顶|我)",
        after,
    )


_FLAT_RULES: list[tuple[str, re.Pattern[str], Check | None]] = [
    # WeChat
    (
        "contact_wechat",
        re.compile(rf"{_WECHAT}(?P<f>[^a-z0-9]{{0,4}}?)(?P<h>{_HANDLE}|同号|同手机号?|同电话)"),
        _wechat_handle,
    ),
    ("contact_wechat", re.compile(rf"v(?:号码|号|是)?(?P<h>{_HANDLE}|同号|同手机号?)"), _bare_v_handle),
    ("contact_wechat", re.compile(rf"[{WEI}](?:号|是)?(?P<h>{_HANDLE})"), _single_wei_handle),
    ("contact_wechat", re.compile(rf"{_ADD}{_FILL}{{0,2}}{_WECHAT}{_PAYMENT_NEXT}"), None),
    (
        "contact_wechat",
        re.compile(rf"(?:{WECHAT_SLANG})(?P<f>[^a-z0-9]{{0,2}}?)(?P<h>{_HANDLE})"),
        _wechat_handle,
    ),
    ("contact_wechat", re.compile(rf"{_ADD}{_FILL}{{0,2}}(?:{WECHAT_SLANG})"), _word_end),
    (
        "contact_wechat",
        re.compile(
            rf"{_WECHAT}(?:号码|号|同号|详聊|聊|联系|私聊|转账|转钱|给我转|转我|付款给我|打款|给我|发你"
            rf"|找我|私发|发我|里聊|加我|我)|{_WECHAT}(?:号|号码)?(?:是|是不是)?(?:多少|啥|什么)"
            rf"|(?:{_WECHAT}|v)(?:同步|的)?朋友圈|同步朋友圈"
        ),
        None,
    ),
    (
        "contact_wechat",
        re.compile(r"(?:加|\+|添加|联系|找|扫头像加)(?:一下|我的|你的|个|下|我){0,2}v"),
        _loose_v,
    ),
    (
        "contact_wechat",
        re.compile(rf"(?:{_ADD}|有|我的)(?:一下|我的|你的|个|下|我){{0,2}}(?:[{WEI}]|v)"),
        _word_end,
    ),
    # QQ
    ("contact_qq", re.compile(rf"(?:{_QQ}|q)(?:号码|号|群号?|群|是|id)?[0-9]{{5,11}}(?![0-9])"), None),
    ("contact_qq", re.compile(rf"{_ADD}{_FILL}{{0,2}}(?:{_QQ}|q)"), _word_end),
    (
        "contact_qq",
        re.compile(rf"(?:{_QQ}|q)(?:号码|号|群号|账号|我)(?!被|丢|忘|注册|登|冻结|找回|盗)"),
        None,
    ),
    # Phone
    ("contact_phone", re.compile(r"(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])"), _phone),
    (
        "contact_phone",
        re.compile(
            r"(?:电话|座机|tel|热线|联系|来电|致电|拨打|call|手机)(?:号码|号|是)?(?:\+?86)?"
            r"(?:0[1-9][0-9]{8,10}|[48]00[0-9]{7})(?![0-9])"
        ),
        None,
    ),
    (
        "contact_phone",
        re.compile(
            r"(?:留|给|发|报|告诉我|私)(?:个|下|一下|我|你的|一个){0,2}(?:电话|手机号码?|手机|号码|联系电话)"
            r"|(?:电话|手机号码?|手机号|联系电话)(?:号码)?(?:多少|是多少|发我|给我|私我|在(?!哪)|微信同号|同微信)"
            r"|(?:客服|售后|老板|店家|商家|门店|店里|厂家|你们?的?)(?:电话|手机号?|联系方式)(?:号码)?(?:多少|是多少|吗|有吗|发|给)"
            r"|有(?:没有)?.{0,3}电话吗"
            r"|(?:打|拨)(?:我|这个)的?(?:电话|手机|号)|打给我|电话联系|联系(?:师傅|我|人)?电话|来电咨询|致电"
            r"|(?:电话|手机|tel|call|打给|拨打)(?:号码|号|是)?[0-9]{7,12}(?![0-9])"
        ),
        None,
    ),
    ("contact_number", re.compile(r"(?<![0-9])[0-9]{7,14}(?![0-9])"), _disguised_digits),
    # E-mail and other apps
    (
        "contact_email",
        re.compile(
            r"(?:@|艾特|at|#)(?:qq|163|126|gmail|outlook|hotmail|sina|foxmail|yahoo|icloud|sohu|139|yeah|aliyun)"
            r"(?:点|dot)?(?:com|cn|net)"
            r"|(?:发|留|给|私)(?:我|个|下|你的|一下){0,2}邮箱|邮箱(?:发我|给我|多少|是)"
        ),
        None,
    ),
    (
        "contact_other_app",
        re.compile(
            r"(?:飞机号?|纸飞机|telegram|tg|whatsapp|whatapp|lineid|line号|钉钉号?|陌陌号?|soul号?|探探号?|skype"
            r"|instagram|ins号|facebook|fb号|kakao|viber)(?:是|号)?@?(?P<h>[a-z0-9]{5,25})"
        ),
        _group_handle_ok,
    ),
    ("contact_other_app", re.compile(r"加(?:我|个)?(?:飞机|tg|钉钉|陌陌|whatsapp|soul|探探)"), None),
    (
        "contact_other_app",
        re.compile(r"(?:加我|找我|联系我|加一下)(?P<h>[a-z0-9]{6,25})"),
        lambda n, m: any(c.isdigit() for c in m.group("h")),
    ),
    # Pointers to a profile that carries the contact
    (
        "move_conversation",
        re.compile(
            rf"(?:主页|头像|简介|签名|个签|名字|昵称|背景|置顶)(?:上|里|中)?(?:有|在|看|见|是)(?:我的?)?"
            rf"(?:{_WECHAT}|v|[{WEI}]|{_QQ}|q|电话|手机号?|号码|联系方式|二维码|码|群)"
            rf"|(?:{_WECHAT}|v|[{WEI}]|{_QQ}|q|电话|手机号?|号码|联系方式|二维码)(?:号|号码)?(?:放|发|挂|写|贴)?(?:在|看|见)?"
            r"(?:我的?)?(?:主页|头像|简介|签名|个签|名字|昵称|背景|评论区|置顶|粉丝牌)"
            r"|(?:昵称|名字|头像|主页|简介|签名|id)(?:后面|里|上)的?(?:数字|号码|号)"
        ),
        None,
    ),
    # Other platforms
    ("platform_redirect", re.compile(rf"(?<!小)(?:{PLATFORM_DISGUISED})"), None),
    (
        "platform_redirect",
        re.compile(
            rf"(?<![a-z0-9])(?:{PLATFORM_NAMES})(?:上|里|那边|那里|也)?.{{0,6}}?"
            r"(?:搜|同名|找我|下单|店铺|店名|开店|开了店|有店|有号|号|关注|私信|私聊|主页|进店|有挂|挂了|联系|加我)"
        ),
        _platform_window,
    ),
    (
        "platform_redirect",
        re.compile(
            rf"(?:去|到|来|上)(?:我的?|我们|这个|那个)?(?:{PLATFORM_NAMES})(?:上|里)?.{{0,4}}?(?:买|拍|下单|搜|找)"
        ),
        _platform_window,
    ),
    (
        "platform_redirect",
        re.compile(r"(?:关注|搜|搜索|加)(?:我的?|我们|一下)?(?:微信)?(?:公众号|视频号|小程序)"),
        None,
    ),
    ("platform_redirect", re.compile(rf"(?:来|去|到|进)(?:我|我们|咱家?)的?(?:{PLATFORM_NAMES})"), None),
    # Moving the conversation
    (
        "move_conversation",
        re.compile(
            r"(?<!隐)私(?:聊|我|下|发|人号|人微|人v|域|你|戳)"
            r"|(?:看|加|翻|进)(?:我|一下|下)?的?朋友圈|朋友圈(?:有|里有|上新|每天|更新|实拍|更多)"
        ),
        None,
    ),
    ("move_conversation", re.compile(r"(?<!隐)私"), _lone_si),
    (
        "move_conversation",
        re.compile(
            r"(?:进|加|入|拉你进?|拉进|来|进入)(?:我的?|个|下|一下|我们的?|咱们?的?)?"
            r"(?:vip|v|粉丝|福利|宝妈|内部|交流|团购|购物|秒杀|微信|qq|q|扣扣|吃货|优惠|专属|老粉)?群(?!众|体|岛|组)"
            r"|群号|(?:粉丝|vip|福利|宝妈|内部|团购|秒杀|优惠)群|群里(?:有(?!人)|发|抽|秒杀|福利|领|更便宜|下单)"
        ),
        None,
    ),
    (
        "move_conversation",
        re.compile(
            r"加(?:我|个)?为?好友|加你(?!们|购物车|入)|我(?:来)?加你|一个个加你"
            r"|(?:留|给|有|发|加|要|私|别的|其他|你的|个)(?:个|下|一下|我)?联系方式|联系方式(?:在|看|私|发|给)"
            r"|私人号|私人微信|(?:加我|找我|看我|来我)的?(?:小|大|新|私人|备用)号|(?:小|大|新)号(?:上|搜|加|卖)"
            r"|留(?:个|下)(?:你的)?(?:号|v|微|薇)|滴滴我|戳我(?:领|私|拿)"
            r"|加我(?=$|直接|发|给你|私|详|聊|拉|备注|领|看|了解|吧)"
            r"|(?:地址|电话|号码|联系方式|微信)发你|发你私信|私信发你|(?:拉|建|组)(?:个|一个)?群"
            r"|(?:加|添加)(?:我|好友)(?:时|的时候)?备注|外面(?:有店|的店|开的店|有卖|买)|(?:店铺|平台|快手)外的?店|站外"
        ),
        None,
    ),
    (
        "offline_payment",
        re.compile(
            r"线下(?:转账|交易|付款|支付|面交|成交|联系|买|卖|交|付)|面交|见面交易"
            r"|(?:直接|先|微信|支付宝|银行卡?|手机银行)(?:给我)?转(?:账|钱|款)|转账给我|转(?:给|到)我|给我转"
            r"|打(?:款|钱)(?:到|给)?我|打我(?:卡|账户|支付宝)|(?:打|转)(?:给|到)?我的?(?:卡|银行卡|账户|支付宝|微信)"
            r"|卡号[0-9]{12,19}|银行卡号|(?:发|给我发|发我)个?红包(?:给我|付款)|定金(?:到|给)我|付款走我|走我这"
            r"|(?:不|别|不用)走(?:平台|快手|官方|系统|小店)|绕(?:开|过)平台|平台(?:要)?(?:抽成|扣点|手续费|抽佣|扣钱)"
            r"|比平台便宜|(?:不在|别在)这里?(?:拍|买|下单)|直接(?:找|联系|加)(?:我|你)|直接给我钱|不扣手续费"
            r"|(?:来|到|去)(?:我|我们)的?实体店|实体店地址|到店自提|(?:来|到)(?:我|我们)?的?店里(?:买|拿|自提)"
            r"|给我现金|现金交易|付现金|扫我的?(?:收款)?码"
        ),
        None,
    ),
    # Links and QR codes (spoken domains, QR codes, Taobao share tokens)
    ("link_or_qr", re.compile(r"(?<=[a-z0-9]{2})(?:点|dot)(?:com|cn|net|top|vip)(?![a-z])"), None),
    (
        "link_or_qr",
        re.compile(r"二维码|扫码|扫一扫|扫一下|长按识别|扫(?:我|一下)?的?头像|码在(?:主页|头像|简介)"),
        _qr,
    ),
    ("link_or_qr", re.compile(r"淘口令|复制(?:这条|整段|口令|链接).{0,20}?打开"), None),
]

_URL = re.compile(
    r"(?:https?:/{0,2}|www\.)[a-z0-9]"
    r"|(?<![a-z0-9@.\-])[a-z0-9][a-z0-9\-]{0,62}(?:\.[a-z0-9\-]{1,63}){0,3}"
    r"\.(?:com|cn|net|org|top|cc|vip|xyz|me|io|ly|shop|store|link|site|club|co|info|tv|app|wang|ink|fun|icu)(?![a-z])"
)
_EMAIL = re.compile(r"[a-z0-9._%+\-]{1,64}@[a-z0-9\-]{1,63}(?:\.[a-z0-9\-]{1,63}){0,3}\.[a-z]{2,10}")
_TOKEN = re.compile(r"[¥$₤€£][a-z0-9]{8,14}[¥$₤€£]")


def find(n: Normalised) -> list[Found]:
    found: list[Found] = []
    flat = n.flat
    if flat:
        for reason, pattern, check in _FLAT_RULES:
            for m in islice(pattern.finditer(flat), MAX_MATCHES):
                if not _starts_word(n, m.start()):
                    continue
                if check is None or check(n, m):
                    start, end = n.span(m.start(), m.end())
                    found.append(Found(reason, start, end))
    text = n.text
    if "." in text or "http" in text:
        for m in islice(_URL.finditer(text), MAX_MATCHES):
            found.append(Found("link_or_qr", *n.text_span(m.start(), m.end())))
    if "@" in text:
        for m in islice(_EMAIL.finditer(text), MAX_MATCHES):
            found.append(Found("contact_email", *n.text_span(m.start(), m.end())))
    if any(c in text for c in "¥$₤€£"):
        for m in islice(_TOKEN.finditer(text), MAX_MATCHES):
            found.append(Found("link_or_qr", *n.text_span(m.start(), m.end())))
    return found

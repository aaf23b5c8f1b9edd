"""Purchase intent (求讲解 signals): a viewer asking how to buy, the price, a size, a colour, the stock,
the shipping, or whether the product suits them and works, as opposed to chat, praise and reviews.

Two kinds of cue. A *direct* cue is intent by itself (怎么买, 多少钱, 链接在哪, 想要, 求讲解). A
*topic* cue (a size, a colour, stock, shipping, use, quality, an offer) is intent when the text asks
about it: a question word, a question mark, an A-not-A question (好不好, 透不透), or a bare short
query ("XL", "160/84A", "尺码？"). Chat about the anchor (主播多大了, 几点开播) is not intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from laotie.moderation.normalise import MAX_MATCHES, Normalised


@dataclass(frozen=True)
class Cue:
    reason: str
    start: int  # in the original text
    end: int


_DIRECT: list[tuple[str, re.Pattern[str]]] = [
    (
        "intent_buy",
        re.compile(
            r"(?:怎么|咋|如何|在哪|哪里|哪儿|去哪|在哪里|哪能)(?:才能|可以|能|才)?(?:买|拍|下单|购买|付款|领券|抢|入手)"
            r"|怎么卖|咋卖|哪里有卖|哪有卖|哪里可以买|哪能买|可以买到|能买到|哪家的|什么牌子|啥牌子|哪个牌子"
            r"|how(?:to|can)?(?:i)?buy|howtobuy|同款(?:哪|在哪|链接)|求同款|哪.{0,2}买的|哪个平台买|(?:找|跟|问)你买|想批发|要批发|(?<!的)要货(?!的)|多买|买几件"
            r"|拍不了|拍不上|付不了|付款失败|超出限购|下不了单|显示没货|没法拍|怎么付款|显示未付款|付.{0,3}没到账"
        ),
    ),
    (
        "intent_link",
        re.compile(
            r"求链接|上链接|链接(?:在哪|在哪里|呢|没了|没有|挂|发|是几|多少)|(?:没有|找不到|没看到|补个?|再上|挂个?)链接|有(?:没有)?链接吗?$|有没有链接"
            r"|(?:几|哪|什么)号?链接|链接几号|小黄车(?:里|怎么|是空|没)|车里(?:没|是|有没)|橱窗里?(?:有|在哪)|挂上|怎么找不到|搜不到"
            r"|(?:求|能|再)上(?:一下|一次)?(?:[0-9一二三四五六七八九十]{1,3}号|链接)"
        ),
    ),
    (
        "intent_price",
        re.compile(
            r"多少钱|多钱|多少米|几块|几毛|几元|啥价|什么价|价格(?=$|多少|是多少|呢|吗|怎么|多|是)|价钱|怎么卖|到手价多少"
            r"|原价多少|多少一(?:件|个|箱|盒|瓶|斤|包|套)|卖多少|howmuch|price|多少\$|(?:这个|这件|这款|那个|[0-9]号)多少$"
            r"|刚进来.{0,4}多少|价格再说|再说一遍价|能便宜|便宜(?:点|些|一点)(?:吗|呢|嘛)?|便宜吗|还能再低|再低点"
        ),
    ),
    (
        "intent_want",
        re.compile(
            r"(?<!没有我)(?<!不)想要(?![^的]{0,4}的(?:姐妹|宝|家人|朋友|老铁|亲|小伙伴|可以|私|扣|加|拉|进|来|点|直接))(?!的)|我要(?=$|了|我要|[0-9a-z]|一|两|二|三|这|那|定制|批发|[黑白红蓝粉灰绿紫黄米杏卡棕咖])"
            r"|想买|要买|我也要|都要|都想要|全要|加一单|再来一单|加一件|再来一件|我也想要|也给我来|要(?:一|两|二|三|四|五|几|[0-9])(?:件|个|箱|盒|单|瓶|套|份)"
            r"|来(?:一|两|二|三|[0-9])(?:件|个|箱|盒|单|瓶|套|份)|给我(?:留|来|拿)|扣1想要|想要扣1|有点心动|好心动"
            r"|冲了冲了.{0,4}(?:怎么|拍)|求回放.{0,4}买|我也想试"
        ),
    ),
    (
        "intent_explain",
        re.compile(
            r"求讲解|讲解一下|讲一下|讲讲|介绍一下|介绍下|试穿|试一下|试试|上身|穿上.{0,4}看|看看(?:[0-9一二三四五六七八九十]{1,3}号|那|这)"
            r"|(?:[0-9一二三四五六七八九十]{1,3}号)什么时候讲|展示一下|拿近|拉近|实物图|给我们看看|转一圈|求上[0-9一二三四五六七八九十]{1,3}号"
            r"|穿一下|吃一口|看看细节|看下细节|看细节|(?:那|这)个.{0,6}是什么|手上戴的.{0,4}卖|有链接吗"
        ),
    ),
]

_TOPIC: list[tuple[str, re.Pattern[str]]] = [
    (
        "intent_size",
        re.compile(
            r"(?<![a-z])(?:[0-9]?x{1,3}l|[sml]|xs)(?![a-z])|[0-9]{2,3}码|[sml]码|尺码|码数|什么码|几码|多大码|多大号|穿多大"
            r"|偏大|偏小|大码|小码|身高|体重|[0-9]{2,3}斤|[一二三四五六七八九十两]{1,4}斤|一米[五六七八九]|腰围|胸围|鞋码|脚长"
            r"|[0-9]{3}[0-9]{2}a|几寸|多大|尺寸|几岁|几个月"
        ),
    ),
    ("intent_colour", re.compile(r"颜色|色号|[黑白红蓝灰杏米粉绿紫黄棕咖]色|卡其|显黑|显白")),
    (
        "intent_stock",
        re.compile(
            r"有货|还有(?=$|吗|没|么|嘛|货|库存|[0-9a-z])|补货|库存|卖完|没货|现货|预售|返场|再上|还上|还会上|什么时候上"
            r"|上架|加库存|抢不到|秒没|还能拍|拍不了|没有我的|(?:[sml]|xl|[0-9]{2}码).{0,2}没了|有没有(?!人)|有吗|的有吗|还有没"
            r"|什么时候(?:有|上|补|到货|返场)|能买|可以买|能拍|可以拍|能下单|[0-9一二三四五六七八九十]{1,3}号|这个|这款|这件|这条"
            r"|那个|那件|这双|这套|这瓶|这支|手上|身上的|背景里|后面那|大号|小号|男款|女款|儿童|无糖|低糖|加绒|加厚|加长|哑光"
            r"|滋润|款式|版本|size|有.{1,4}的吗|有卖|有得卖"
        ),
    ),
    (
        "intent_shipping",
        re.compile(
            r"发货|几天.{0,2}到|什么快递|啥快递|快递|包邮|运费|顺丰|中通|圆通|韵达|申通|极兔|(?:能|可以)(?:发|寄)(?!个|一下|给|我|图|张|链接|联系|照片)|寄到|发什么"
            r"|从哪.{0,2}发|到付|货到付款|什么时候发|什么时候到|多久.{0,2}(?:发|到)|几天发|[省市区]几天|江浙沪|偏远|新疆|西藏"
            r"|港澳台|国外|东北"
        ),
    ),
    (
        "intent_usage",
        re.compile(
            r"好不好用|好用(?:吗|嘛|么|不)|效果|有用(?:吗|嘛|么)|适合|能用|可以用|能吃|可以吃|能穿|能戴|能洗|能放|能带|能充"
            r"|能热|怎么(?:用|吃|做|煮|泡|喝|穿|搭|洗|装|安装|保存)|用法|一天.{0,3}几|几次|多久|保质期|保修|说明书|教程|不会用|能玩|微波炉|冰箱|电磁炉|上飞机"
            r"|(?:油|干|敏感|痘痘|混油)(?:皮|肌)|孕妇|糖尿病|宝宝|小孩|儿童|老人|男生|学生党|狗狗|猫|新手|开车|室内"
            r"|地铁|戴眼镜|脸大|梨形|胖子|送人|给我妈|给我爸|我妈|好用|(?:能|可以).{0,4}(?:用|吃|穿|戴|洗|放|带|玩|喝|连|接|装|插)(?:吗|嘛|么)|能连|兼容|能接|适配|适用"
            r"|支持.{0,4}(?:支付|付款|转账)|(?:能|可以)用.{0,4}(?:支付|付款|付)"
        ),
    ),
    (
        "intent_quality",
        re.compile(
            r"质量|正品|保真|授权|专柜|材质|面料|纯棉|真皮|成分|配料|含量|酒精|防腐剂|甲醛|掉色|起球|缩水|起皱|掉毛|掉渣"
            r"|防水|续航|噪音|吸力|功率|多少瓦|耗电|电池|充电|保温|味道|口味|不粘"
            r"|(?:甜|辣|咸|酸|脆|软|硬|透|厚|薄|冷|热|闷|重|沉|轻|凉|烫|香|臭|滑|紧|松)(?=吗|嘛|么|不|啊|呀|吧|的|$)"
            r"|结实|护眼|容量|多重|重量|克|几个装|一盒|一箱|几片|几个|几种|区别|哪个好|推荐|值得|值不值|怎么样|如何"
            r"|产地|新茶|牌子|品牌|材料|机洗|水洗|手洗|实物|图片一样|和图|一样吗|真的假的|靠谱|好吃|好喝|好闻|香吗|香不香|走光"
            r"|显胖|显瘦|显老|(?:会|容易|会不会)(?:坏|漏|碎|变形|生锈|过敏|掉|褪|裂)|很重|过敏"
        ),
    ),
    (
        "intent_offer",
        re.compile(
            r"优惠|有券|领券|券|满减|满[0-9]{1,5}减|半价|打折|折扣|赠品|送什么|送的|降价|保价|差价|活动|发票|分期|花呗"
            r"|先用后付|无理由|退换|售后|包赔|坏了|能换|定制|刻字|礼盒|包装|单买|替换装|家庭装|小包装|试用装|限购|秒杀"
            r"|几点开抢|开抢|一元购|新人|老粉|第二件|买[一二三两0-9]送|拼团价|付款|支付|微信支付|支付宝|改地址"
            r"|能拍几|拍几件|样品|价格|价钱|价位|可以退|能退|退吗|包退|可以换|换货|补发|专票|开票"
            r"|(?:能|可以)(?:付|支付|刷|用零钱)"
        ),
    ),
]

_QUESTION = re.compile(
    r"吗|嘛|么|呢|多少|几|什么|啥|怎么|咋|如何|哪|是不是|有没有|会不会|能不能|可不可以|可以不|行不行|好不好|还是|请问|问一下"
    r"|想问|(.)不\1|(.)没\2|(.)唔\3|有.{1,4}的?吗|available|多久|多大|多重|多长|多高|多厚|多宽|发一下|看一下|说一下"
)
# Questions about the anchor or the show, not the goods.
_CHAT = re.compile(
    r"主播(?:是|你是)?(?:哪里人|哪人|多大了|几岁|结婚|星座|生日|几号生日|叫什么|是东北|是四川|声音)|多少人|几点(?:开播|下播)"
    r"|播到几点|明天几点|什么歌|bgm|福袋|抽奖|红包雨|黑屏|卡了|网好卡|什么名字|中奖|几号生日|火箭|飞机给"
    r"|怎么不回|都不理|投诉|主播坐|你们那边|下雪|今天好冷|家的装修|主播的?身高|主播多高|主播多重|主播体重"
    r"|(?:想要|喜欢|想看|要)的.{0,6}(?:扣|打|刷)个?[0-9一二]|的扣个?[0-9]"
    r"|(?:想要|想买|想批发|要货|要|需要|喜欢|有意)的(?:宝宝|宝子|姐妹|家人|朋友|亲|老铁|小伙伴)?们?"
    r"(?:来|私|加|找|联系|扣|点|拍|直接|可以|看|进|戳|滴滴)"
)
# Statements after buying (已拍, 回购, 收到了) and reviews are not intent unless they also ask.
# After-sales talk about an order already placed (where is my parcel, my refund) is not intent.
_AFTER = re.compile(r"退款|退货|到哪了|单号|物流信息|签收|没收到|丢件|没更新|不动了|没动静|催一下")
_ASKS = re.compile(r"吗|嘛|么|呢|怎么|什么|多少|几|有没有|是不是|会不会|说说|如何")
_DONE = re.compile(
    r"已拍|已下单|拍了|已经拍|已经在|收到了|收到的|回购|买过|用了.{0,3}(?:月|天|年)|已付款|付款了"
)


def _combined(parts: list[tuple[str, re.Pattern[str]]]) -> re.Pattern[str]:
    """One scan instead of one per reason: each reason a named alternative (``m.lastgroup``)."""
    return re.compile("|".join(f"(?P<{reason}_{i}>{p.pattern})" for i, (reason, p) in enumerate(parts)))


_DIRECT_ALL = _combined(_DIRECT)
_TOPIC_ALL = _combined(_TOPIC)


def _cues(n: Normalised, pattern: re.Pattern[str]) -> list[Cue]:
    return [
        Cue(str(m.lastgroup).rsplit("_", 1)[0], *n.span(m.start(), m.end()))
        for m in islice(pattern.finditer(n.flat), MAX_MATCHES)
    ]


def find(n: Normalised) -> list[Cue]:
    flat = n.flat
    if not flat:
        return []
    if _CHAT.search(flat):
        return []
    cues = _cues(n, _DIRECT_ALL)
    if cues:
        return cues
    if _AFTER.search(flat):
        return []
    asks = "?" in n.text or _QUESTION.search(flat) is not None
    short = len(flat) <= 7 or (len(flat) <= 14 and ("身高" in flat or "体重" in flat))
    topics = _cues(n, _TOPIC_ALL)
    if not topics:
        return []
    if asks:
        if _DONE.search(flat) and "?" not in n.text and not _ASKS.search(flat):
            return []
        return topics
    # A bare query typed in a hurry: "XL", "160/84A", "l码", "杏色的有没有" (no separators: short).
    if short and any(c.reason == "intent_size" for c in topics) and not _DONE.search(flat):
        return topics
    return []

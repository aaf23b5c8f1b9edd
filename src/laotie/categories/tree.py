"""The default category tree: (name, fee in basis points, qualifications, return-exempt, children)."""

from __future__ import annotations

from typing import NamedTuple


class Node(NamedTuple):
    name: str
    fee_rate_bp: int = 500
    qualifications: tuple[str, ...] = ()
    return_exempt: bool = False
    children: tuple[Node, ...] = ()


def leaves(*names: str, **kw: object) -> tuple[Node, ...]:
    return tuple(Node(n, **kw) for n in names)  # type: ignore[arg-type]


FOOD = ("food_license",)
COSMETICS = ("cosmetics_filing",)
CCC = ("ccc_certificate",)

DEFAULT_TREE: tuple[Node, ...] = (
    Node(
        "服饰内衣",
        500,
        children=(
            Node("女装", 500, children=leaves("连衣裙", "T恤", "卫衣", "毛衣", "羽绒服", "半身裙", "牛仔裤")),
            Node("男装", 500, children=leaves("衬衫", "夹克", "休闲裤", "POLO衫", "羽绒服")),
            Node("内衣家居服", 500, children=leaves("睡衣", "文胸", "袜子", "保暖内衣")),
        ),
    ),
    Node(
        "鞋靴箱包",
        500,
        children=(
            Node("女鞋", 500, children=leaves("单鞋", "运动鞋", "靴子")),
            Node("男鞋", 500, children=leaves("休闲鞋", "皮鞋")),
            Node("箱包", 500, children=leaves("双肩包", "斜挎包", "行李箱")),
        ),
    ),
    Node(
        "美妆个护",
        400,
        COSMETICS,
        children=(
            Node(
                "护肤",
                400,
                COSMETICS,
                children=leaves("面霜", "精华", "面膜", "防晒", qualifications=COSMETICS, fee_rate_bp=400),
            ),
            Node(
                "彩妆",
                400,
                COSMETICS,
                children=leaves("口红", "粉底", "眼影", qualifications=COSMETICS, fee_rate_bp=400),
            ),
            Node("个人护理", 400, children=leaves("洗发水", "沐浴露", "牙膏", fee_rate_bp=400)),
        ),
    ),
    Node(
        "食品饮料",
        300,
        FOOD,
        children=(
            Node(
                "生鲜水果",
                300,
                FOOD,
                True,
                children=leaves(
                    "苹果",
                    "柑橘",
                    "猕猴桃",
                    "车厘子",
                    qualifications=FOOD,
                    fee_rate_bp=300,
                    return_exempt=True,
                ),
            ),
            Node(
                "休闲零食",
                300,
                FOOD,
                children=leaves("坚果", "肉干", "糕点", "辣条", qualifications=FOOD, fee_rate_bp=300),
            ),
            Node(
                "粮油调味",
                300,
                FOOD,
                children=leaves("大米", "食用油", "酱油", qualifications=FOOD, fee_rate_bp=300),
            ),
            Node(
                "茶饮冲调",
                300,
                FOOD,
                children=leaves("茶叶", "咖啡", "蜂蜜", qualifications=FOOD, fee_rate_bp=300),
            ),
            Node(
                "地方特产",
                300,
                FOOD,
                children=leaves("新疆红枣", "东北木耳", "云南菌菇", qualifications=FOOD, fee_rate_bp=300),
            ),
        ),
    ),
    Node(
        "家居日用",
        500,
        children=(
            Node("家纺", 500, children=leaves("四件套", "被子", "枕头")),
            Node("厨具", 500, children=leaves("炒锅", "刀具", "保温杯")),
            Node("收纳清洁", 500, children=leaves("收纳箱", "拖把", "纸巾")),
        ),
    ),
    Node(
        "数码家电",
        200,
        CCC,
        children=(
            Node("手机配件", 200, children=leaves("充电宝", "数据线", "手机壳", fee_rate_bp=200)),
            Node(
                "小家电",
                200,
                CCC,
                children=leaves("电饭煲", "空气炸锅", "吹风机", qualifications=CCC, fee_rate_bp=200),
            ),
            Node(
                "影音电器", 200, CCC, children=leaves("蓝牙耳机", "音箱", qualifications=CCC, fee_rate_bp=200)
            ),
        ),
    ),
    Node(
        "母婴玩具",
        400,
        children=(
            Node("童装", 400, children=leaves("童装套装", "童鞋", fee_rate_bp=400)),
            Node("玩具", 400, CCC, children=leaves("积木", "毛绒玩具", qualifications=CCC, fee_rate_bp=400)),
            Node(
                "喂养用品",
                400,
                FOOD,
                children=leaves("奶瓶", "婴儿米粉", qualifications=FOOD, fee_rate_bp=400),
            ),
        ),
    ),
    Node(
        "珠宝文玩",
        600,
        children=(
            Node("珠宝首饰", 600, children=leaves("黄金", "翡翠", "珍珠", "银饰", fee_rate_bp=600)),
            Node("文玩", 600, children=leaves("手串", "茶宠", fee_rate_bp=600)),
        ),
    ),
    Node(
        "运动户外",
        500,
        children=(
            Node("运动服饰", 500, children=leaves("运动套装", "瑜伽服")),
            Node("户外装备", 500, children=leaves("帐篷", "登山杖", "钓鱼竿")),
        ),
    ),
    Node(
        "图书文娱",
        200,
        ("publication_license",),
        children=(
            Node(
                "图书",
                200,
                ("publication_license",),
                children=leaves(
                    "童书", "小说", "教辅", qualifications=("publication_license",), fee_rate_bp=200
                ),
            ),
            Node("文具", 200, children=leaves("笔记本", "钢笔", fee_rate_bp=200)),
        ),
    ),
)

"""The sandbox carrier network: realistic, reproducible tracking timelines.

A parcel's whole journey follows from its waybill (carrier, number, time handed over, destination),
seeded by a hash of the number, so every poll sees the same history growing with the clock, as a
real carrier's tracking API would show it: 揽收 at an origin city a few hours after the merchant
ships, 运输中 through one to three sorting centres, 派送中 in the buyer's city, 签收 one to four
days after pick-up. For 西北集运 the parcel first reaches the hub (到达集运仓), waits to be
consolidated, and leaves it (集运仓发出) on a second leg to the buyer.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

from laotie.logistics.carriers import name_of
from laotie.logistics.interfaces import (
    AT_HUB,
    DELIVERED,
    IN_TRANSIT,
    LEFT_HUB,
    OUT_FOR_DELIVERY,
    PICKED_UP,
    TrackingNode,
    Waybill,
)

ORIGINS = ("义乌市", "广州市", "杭州市", "深圳市", "东莞市", "苏州市", "临沂市", "泉州市", "成都市", "武汉市")
SORTING_CENTRES = ("郑州", "武汉", "长沙", "南京", "济南", "石家庄", "合肥", "南昌", "沈阳", "重庆")
COURIERS = ("王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅", "杨师傅")
HUB_CITY = "西安市"


def _rng(waybill: Waybill) -> random.Random:
    seed = hashlib.sha256(f"{waybill.carrier_code}:{waybill.tracking_no}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _leg(rng: random.Random, start: datetime, hours: float, origin: str, dest: str) -> list[TrackingNode]:
    """One to three sorting centres between ``origin`` and ``dest``, inside ``hours`` from ``start``."""
    centres = rng.sample(SORTING_CENTRES, rng.randint(1, 3))
    marks = sorted(rng.uniform(0.08, 0.92) for _ in range(2 * len(centres)))
    nodes: list[TrackingNode] = []
    previous = origin
    for i, centre in enumerate(centres):
        arrive = start + timedelta(hours=hours * marks[2 * i])
        leave = start + timedelta(hours=hours * marks[2 * i + 1])
        nodes.append(
            TrackingNode(arrive, IN_TRANSIT, centre, f"快件已到达【{centre}转运中心】，上一站【{previous}】")
        )
        nodes.append(
            TrackingNode(leave, IN_TRANSIT, centre, f"快件已从【{centre}转运中心】发出，下一站【{dest}】")
        )
        previous = centre
    return nodes


def timeline(waybill: Waybill) -> list[TrackingNode]:
    """The parcel's full journey, oldest first (what ``track`` reveals bit by bit)."""
    rng = _rng(waybill)
    origin = rng.choice(ORIGINS)
    dest = waybill.dest_city or waybill.dest_province
    pickup = waybill.shipped_at + timedelta(minutes=rng.randint(30, 6 * 60))
    nodes = [
        TrackingNode(pickup, PICKED_UP, origin, f"【{origin}】快递员已揽收，运单号{waybill.tracking_no}")
    ]
    total = rng.uniform(24, 96)  # pick-up to delivery: one to four days
    if waybill.hub_name:
        first_leg = total * rng.uniform(0.3, 0.45)
        nodes += _leg(rng, pickup, first_leg, origin, waybill.hub_name)
        arrive = pickup + timedelta(hours=first_leg)
        nodes.append(TrackingNode(arrive, AT_HUB, HUB_CITY, f"快件已到达【{waybill.hub_name}】，等待集运"))
        leave = arrive + timedelta(hours=rng.uniform(6, 24))
        nodes.append(
            TrackingNode(
                leave, LEFT_HUB, HUB_CITY, f"【{waybill.hub_name}】已发出，平台承担集运运费，下一站【{dest}】"
            )
        )
        start, origin, hours = leave, HUB_CITY, total * rng.uniform(0.4, 0.6)
    else:
        start, hours = pickup, total * 0.85
    nodes += _leg(rng, start, hours, origin, dest)
    out = start + timedelta(hours=hours)
    courier = rng.choice(COURIERS)
    nodes.append(
        TrackingNode(
            out,
            OUT_FOR_DELIVERY,
            dest,
            f"【{dest}】快递员{courier}正在派送，电话：138****{rng.randint(1000, 9999)}",
        )
    )
    signed = out + timedelta(minutes=rng.randint(30, 300))
    where = rng.choice(("本人签收", "已放入快递柜", "家门口签收", "驿站代收"))
    nodes.append(
        TrackingNode(
            signed, DELIVERED, dest, f"【{dest}】已签收（{where}），感谢使用{name_of(waybill.carrier_code)}"
        )
    )
    nodes.sort(key=lambda n: n.at)
    return nodes


class SandboxCarrierNetwork:
    """Implements ``CarrierNetwork`` for every carrier in ``carriers.CARRIERS``."""

    def track(self, waybill: Waybill, now: datetime) -> list[TrackingNode]:
        return [n for n in timeline(waybill) if n.at <= now]

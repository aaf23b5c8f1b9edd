"""The carriers a merchant may ship with, and what their tracking numbers look like.

A merchant names a carrier by code (``ZTO``) or by its Chinese name (中通快递); the number must
match the carrier's format, which catches most typos and made-up numbers before a parcel is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from laotie.logistics import errors
from laotie.logistics.schemas import CarrierOut


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    pattern: re.Pattern[str]
    example: str
    aliases: tuple[str, ...] = ()


CARRIERS: dict[str, Carrier] = {
    c.code: c
    for c in (
        Carrier("SF", "顺丰速运", re.compile(r"SF\d{9,15}"), "SF1234567890123", ("顺丰", "顺丰快递")),
        Carrier("ZTO", "中通快递", re.compile(r"(ZT)?\d{10,15}"), "78123456789012", ("中通",)),
        Carrier("YTO", "圆通速递", re.compile(r"YT\d{6,16}"), "YT1234567890123", ("圆通", "圆通快递")),
        Carrier("STO", "申通快递", re.compile(r"77\d{10,13}"), "773123456789012", ("申通",)),
        Carrier("YD", "韵达快递", re.compile(r"\d{13,15}"), "4312345678901", ("韵达", "韵达速递")),
        Carrier("JTSD", "极兔速递", re.compile(r"JT\d{13}"), "JT1234567890123", ("极兔", "极兔快递")),
        Carrier("JD", "京东物流", re.compile(r"JD[A-Z0-9]{10,16}"), "JDVA12345678901", ("京东", "京东快递")),
        Carrier(
            "EMS",
            "中国邮政EMS",
            re.compile(r"[A-Z]{2}\d{9}CN|1\d{12}"),
            "EA123456789CN",
            ("EMS", "邮政", "邮政EMS"),
        ),
    )
}
_BY_NAME = {alias: c for c in CARRIERS.values() for alias in (c.code, c.name, *c.aliases)}


def resolve(carrier: str, tracking_no: str) -> tuple[Carrier, str]:
    """The carrier and the normalised tracking number, or UNKNOWN_CARRIER / INVALID_TRACKING_NO."""
    found = _BY_NAME.get(carrier.strip()) or _BY_NAME.get(carrier.strip().upper())
    if found is None:
        raise errors.UNKNOWN_CARRIER(carrier=carrier, known=sorted(CARRIERS))
    number = tracking_no.strip().upper()
    if not found.pattern.fullmatch(number):
        raise errors.INVALID_TRACKING_NO(
            carrier_name=found.name, tracking_no=tracking_no, example=found.example
        )
    return found, number


def carrier_list() -> list[CarrierOut]:
    return [CarrierOut(code=c.code, name=c.name, example=c.example) for c in CARRIERS.values()]


def name_of(code: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.name if carrier else code

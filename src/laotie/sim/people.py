"""The demo's people: accounts made through sign-up (once), and buyers with an address to ship to."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate
from laotie.core.auth import Principal, Role

DEMO_PASSWORD = "laotie123"

# (province, city, district, street): mainland places every demo shipping template serves.
PLACES = (
    ("330000", "330100", "330106", "文三路478号华星时代广场A座1201"),
    ("440000", "440300", "440305", "科技园南区深南大道9988号2栋"),
    ("110000", "110100", "110105", "建国路88号SOHO现代城3号楼"),
    ("510000", "510100", "510104", "春熙路步行街东段18号"),
    ("310000", "310100", "310115", "张江高科碧波路690号"),
    ("420000", "420100", "420106", "中南路99号保利广场"),
    ("370000", "370200", "370202", "香港中路76号"),
    ("230000", "230100", "230103", "中央大街112号"),
)


@dataclass(frozen=True)
class DemoAccount:
    phone: str
    password: str
    role: str
    nickname: str
    note: str = ""


@dataclass(frozen=True)
class Shopper:
    """A buyer who can order: signed in as ``principal``, shipping to ``address_id``."""

    principal: Principal
    address_id: int
    nickname: str


def principal_of(session: Session, user_id: int) -> Principal:
    roles = frozenset(Role(r) for r in accounts.get_user_out(session, user_id).roles)
    return Principal(user_id=user_id, roles=roles)


def ensure_user(session: Session, phone: str, nickname: str, roles: tuple[Role, ...]) -> int:
    found = accounts.find_user_id_by_phone(session, phone)
    if found is not None:
        return found
    return accounts.register(session, password=DEMO_PASSWORD, phone=phone, nickname=nickname, roles=roles).id


def ensure_shopper(
    session: Session, phone: str, nickname: str, roles: tuple[Role, ...] = (Role.BUYER,)
) -> Shopper:
    """The account, with a default address somewhere in the mainland (added once)."""
    user_id = ensure_user(session, phone, nickname, roles)
    book = addresses.list_addresses(session, user_id)
    if book:
        address_id = book[0].id
    else:
        rng = random.Random(f"laotie-demo-address-{phone}")
        province, city, district, street = rng.choice(PLACES)
        body = AddressCreate(
            recipient=nickname[-3:] if len(nickname) > 3 else nickname,
            phone=phone,
            province_code=province,
            city_code=city,
            district_code=district,
            detail=street,
            is_default=True,
        )
        address_id = addresses.create_address(session, user_id, body).id
    return Shopper(principal_of(session, user_id), address_id, nickname)

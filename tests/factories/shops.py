"""Shops for tests, opened through the real application and review path."""

from __future__ import annotations

import io
import itertools
from typing import Any

from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.categories import service as categories
from laotie.core.auth import Principal, Role
from laotie.core.events import OutboxEvent
from laotie.shops import service as shops
from laotie.shops.licence import check_character
from laotie.shops.models import Shop, ShopDocument, ShopEvent, ShopMember
from laotie.shops.schemas import ShopApply
from tests.factories import make_user

# Explicit small numbers in tests (application(..., 31)) never collide with the automatic ones.
_serial = itertools.count(1000)


def principal_of(session: Session, user_id: int) -> Principal:
    roles = frozenset(Role(r) for r in accounts.get_user_out(session, user_id).roles)
    return Principal(user_id=user_id, roles=roles)


def licence_number(n: int, entity_type: str = "individual_business") -> str:
    """A well-formed unified social credit code (Beijing), distinct for each ``n``."""
    prefix = "91" if entity_type == "company" else "92"
    first17 = f"{prefix}110000MA{n:07d}"
    return first17 + check_character(first17)


def application(category_id: int, n: int | None = None, **overrides: Any) -> ShopApply:
    """A valid application for an individual business in ``category_id``."""
    n = next(_serial) if n is None else n
    body: dict[str, Any] = {
        "name": f"测试小店{n}",
        "main_category_id": category_id,
        "entity_type": "individual_business",
        "legal_name": f"测试个体户{n}",
        "licence_number": licence_number(n),
        "contact_phone": "13900000000",
    }
    body.update(overrides)
    return ShopApply(**body)


def category_named(session: Session, name: str) -> int:
    """The id of the first category with ``name`` (e.g. "食品饮料", whose shops need a food licence)."""
    for root in categories.tree(session):
        stack = [root]
        while stack:
            node = stack.pop()
            if node.name == name:
                return node.id
            stack.extend(node.children)
    raise LookupError(name)


def make_reviewer(session: Session) -> tuple[Principal, dict[str, str]]:
    reviewer_id, headers = make_user(session, Role.GOVERNANCE)
    return principal_of(session, reviewer_id), headers


def apply_for_shop(
    session: Session, category_id: int | None = None, **overrides: Any
) -> tuple[int, int, dict[str, str]]:
    """A committed application waiting for review: returns (shop_id, owner_user_id, owner's headers)."""
    n = next(_serial)
    owner_id, headers = make_user(session, nickname=f"店主{n}")
    body = application(category_id or categories.leaf_ids(session)[0], n, **overrides)
    shop = shops.apply(session, principal_of(session, owner_id), body)
    session.commit()
    return shop.id, owner_id, headers


def make_open_shop(session: Session, name: str | None = None) -> tuple[int, int, dict[str, str]]:
    """An approved, open shop: returns (shop_id, owner_user_id, owner's auth headers)."""
    overrides = {"name": name} if name else {}
    shop_id, owner_id, headers = apply_for_shop(session, **overrides)
    reviewer, _ = make_reviewer(session)
    shops.approve(session, shop_id, reviewer)
    session.commit()
    return shop_id, owner_id, headers


def pdf_bytes(pages: int = 1) -> bytes:
    """A well-formed PDF (pypdf writes it) with blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def row_counts(session: Session) -> dict[str, int]:
    """How many rows the shops domain (and the outbox) hold: a refused request must not change these."""
    tables = {
        "shops": Shop,
        "members": ShopMember,
        "events": ShopEvent,
        "documents": ShopDocument,
        "outbox": OutboxEvent,
    }
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in tables.items()
    }

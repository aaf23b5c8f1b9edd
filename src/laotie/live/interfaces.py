"""Adapters to the social and affiliate domains (built alongside this one).

Until ``laotie.affiliate.service`` / ``laotie.social.service`` exist, the fallbacks answer: no product
is offered to the alliance, no new followers. Tests and the integrator switch them by assigning
``offered_rate_bp`` / ``new_followers_between`` here (or they resolve to the real service once merged).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session


def _service(domain: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"laotie.{domain}.service")
    except ModuleNotFoundError:
        return None


def _offered_rate_bp(session: Session, product_id: int) -> int | None:
    """The commission rate (basis points) a product is offered to creators at, or None."""
    affiliate: Any = _service("affiliate")
    if affiliate is None or not hasattr(affiliate, "offered_rate_bp"):
        return None
    rate = affiliate.offered_rate_bp(session, product_id)
    return int(rate) if rate is not None else None


def _new_followers_between(
    session: Session, target_kind: str, target_id: int, start: datetime, end: datetime
) -> int:
    social: Any = _service("social")
    if social is None or not hasattr(social, "new_followers_between"):
        return 0
    return int(social.new_followers_between(session, target_kind, target_id, start, end))


offered_rate_bp: Callable[[Session, int], int | None] = _offered_rate_bp
new_followers_between: Callable[[Session, str, int, datetime, datetime], int] = _new_followers_between

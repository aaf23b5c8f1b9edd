"""The values placement hands from step to step, all frozen: once a step has decided something, the
later steps read it and cannot change it.

    Wanted ──prepare──▶ PlaceRequest ──check, allocate──▶ Plan ──price──▶ Priced
                                      Plan + Priced ──money, once──▶ Accepted ──write──▶ Outcome
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from laotie.catalog.schemas import SkuForSale
from laotie.core.errors import AppError
from laotie.core.idempotency import request_hash
from laotie.orders.attribution import Verified
from laotie.orders.schemas import CheckoutIn, PlacedCheckout, PriceOverride

SCOPE = "orders.place"

# One merged line of a plan: the SKU as read for sale, and how many units of it (one entry per SKU).
Line = tuple[SkuForSale, int]


@dataclass(frozen=True)
class Wanted:
    """What a caller asks placement for, before anything is read: the same for the API, the live
    flash sale (with its server-side ``override``) and the web checkout."""

    buyer_id: int
    body: CheckoutIn
    idempotency_key: str
    override: PriceOverride | None = None  # a server-side price (live flash sale) for one SKU


@dataclass(frozen=True)
class PlaceRequest:
    """A wanted placement after ``prepare``: the buyer's own data read and checked."""

    buyer_id: int
    body: CheckoutIn
    address: dict[str, Any]  # the address snapshot, as the order row keeps it (JSON)
    idempotency_key: str
    pay_later_ok: bool = False  # eligibility decided before the batch (it reads the buyer's history)
    override: PriceOverride | None = None
    # Who is credited, as verified on the server (``attribution.check``); None credits no one.
    verified: Verified | None = None

    @property
    def scope(self) -> str:
        return f"{SCOPE}:user:{self.buyer_id}"

    @cached_property
    def digest(self) -> str:
        return request_hash(self.body.model_dump(mode="json"))


@dataclass(frozen=True)
class Plan:
    """What the batch decided for one request before anything is written: its lines (merged per SKU,
    in SKU order) and each shop's shipping fee."""

    index: int  # the request's place in the batch
    request: PlaceRequest
    lines: tuple[Line, ...]
    shipping: Mapping[int, int] = field(default_factory=dict)  # shop id -> shipping fee (logistics)


@dataclass(frozen=True)
class Outcome:
    """Placement's answer to one request: a checkout placed (or replayed) or the error refusing it."""

    placed: PlacedCheckout | None = None
    error: AppError | None = None
    replayed: bool = False

    def result(self) -> PlacedCheckout:
        """The checkout placed; raises the refusal."""
        if self.error is not None:
            raise self.error
        assert self.placed is not None
        return self.placed

"""Preparing placements: everything about a request that reads only the buyer's own data (the key, the
address, the attribution, pay-later eligibility), checked before the batch decides stock. The one
``prepare`` for every caller; a batch reads all its buyers' addresses in one query, and checks each
distinct attribution once: in a flash sale every buyer of a batch claims the same live session and
SKU, and checking it per buyer cost four queries each (measured: 40% of the server's time in a
PostgreSQL rush)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from laotie.addresses import errors as address_errors
from laotie.addresses import service as addresses
from laotie.core.errors import AppError
from laotie.orders import attribution, errors, paylater
from laotie.orders.attribution import Verified
from laotie.orders.models import PayMode
from laotie.orders.placement_types import PlaceRequest, Wanted
from laotie.orders.schemas import CheckoutIn

MAX_KEY_LENGTH = 100


def prepare(session: Session, wanted: Sequence[Wanted]) -> list[PlaceRequest | AppError]:
    """Each wanted placement's request, or the error refusing it, in the same order."""
    found = addresses.snapshots(session, [(w.buyer_id, w.body.address_id) for w in wanted])
    checked: dict[tuple[str, tuple[int, ...]], Verified | AppError] = {}
    prepared: list[PlaceRequest | AppError] = []
    for w in wanted:
        try:
            if not w.idempotency_key or len(w.idempotency_key) > MAX_KEY_LENGTH:
                raise errors.IDEMPOTENCY_KEY_REQUIRED()
            snapshot = found.get((w.buyer_id, w.body.address_id))
            if snapshot is None:
                raise address_errors.ADDRESS_NOT_FOUND(address_id=w.body.address_id)
            verified = _check_attribution(session, w.body, checked)
            pay_later_ok = False
            if w.body.pay_mode == PayMode.PAY_LATER:
                paylater.require_eligible(session, w.buyer_id, [line.sku_id for line in w.body.lines])
                pay_later_ok = True
            prepared.append(
                PlaceRequest(
                    buyer_id=w.buyer_id,
                    body=w.body,
                    address=snapshot.model_dump(mode="json"),
                    idempotency_key=w.idempotency_key,
                    pay_later_ok=pay_later_ok,
                    override=w.override,
                    verified=verified,
                )
            )
        except AppError as exc:
            prepared.append(exc)
    return prepared


def _check_attribution(
    session: Session, body: CheckoutIn, checked: dict[tuple[str, tuple[int, ...]], Verified | AppError]
) -> Verified:
    """``attribution.check`` once per distinct (attribution, SKUs) in the batch: it reads nothing of
    the buyer's own, so the same claim on the same SKUs gets the same answer within one transaction."""
    key = (body.attribution.model_dump_json(), tuple(sorted({line.sku_id for line in body.lines})))
    known = checked.get(key)
    if known is None:
        try:
            known = checked[key] = attribution.check(session, body)
        except AppError as exc:
            known = checked[key] = exc
    if isinstance(known, AppError):
        raise known
    return known

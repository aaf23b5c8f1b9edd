from __future__ import annotations

import hashlib

from fastapi import APIRouter, Query, Request, Response

from laotie.addresses import service
from laotie.addresses.errors import RevealRequestInvalid
from laotie.addresses.schemas import AddressCreate, AddressIn, AddressOut, RegionOut, RevealLogEntry
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.errors import VALIDATION_ERROR
from laotie.core.http import DbSession, PathId
from laotie.core.ids import MAX_ID

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"])
regions_router = APIRouter(prefix="/api/v1/regions", tags=["regions"])
admin_router = APIRouter(prefix="/api/v1/admin/address-reveals", tags=["admin"])

# Region data changes only with the package version: let browsers and CDNs keep it for a day.
_CACHE_CONTROL = "public, max-age=86400"


def _etag() -> str:
    return '"' + hashlib.sha256(service.data_version().encode()).hexdigest()[:16] + '"'


def _cacheable(request: Request, response: Response) -> Response | None:
    """Set the caching headers; a ready 304 when the caller already holds this version."""
    headers = {"Cache-Control": _CACHE_CONTROL, "ETag": _etag()}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None


@regions_router.get("", response_model=list[RegionOut])
def list_provinces(request: Request, response: Response, _: object = PublicAccess) -> object:
    """The 34 provincial-level units (省级行政区), with adcodes."""
    return _cacheable(request, response) or service.provinces()


@regions_router.get("/{code}/children", response_model=list[RegionOut])
def region_children(code: str, request: Request, response: Response, _: object = PublicAccess) -> object:
    """A province's cities, or a city's districts; empty where the data has no level below."""
    regions = service.children(code)
    return _cacheable(request, response) or regions


@router.get("", response_model=list[AddressOut])
def my_addresses(session: DbSession, principal: Principal = AnyUser) -> list[AddressOut]:
    return service.list_addresses(session, principal.user_id)


@router.post("", response_model=AddressOut, status_code=201)
def add_address(session: DbSession, body: AddressCreate, principal: Principal = AnyUser) -> AddressOut:
    return service.create_address(session, principal.user_id, body)


@router.get("/{address_id}", response_model=AddressOut)
def get_address(session: DbSession, address_id: PathId, principal: Principal = AnyUser) -> AddressOut:
    return service.get_address(session, principal.user_id, address_id)


@router.put("/{address_id}", response_model=AddressOut)
def replace_address(
    session: DbSession, address_id: PathId, body: AddressIn, principal: Principal = AnyUser
) -> AddressOut:
    return service.update_address(session, principal.user_id, address_id, body)


@router.post("/{address_id}/default", response_model=AddressOut)
def make_default(session: DbSession, address_id: PathId, principal: Principal = AnyUser) -> AddressOut:
    return service.set_default(session, principal.user_id, address_id)


@router.delete("/{address_id}", status_code=204)
def delete_address(session: DbSession, address_id: PathId, principal: Principal = AnyUser) -> None:
    service.delete_address(session, principal.user_id, address_id)


@admin_router.get("", response_model=list[RevealLogEntry])
def address_reveals(
    session: DbSession,
    shop_id: int | None = Query(default=None, ge=1, le=MAX_ID),  # a query string: not strict
    order_ref: str | None = Query(default=None, min_length=1, max_length=64),
    _: Principal = require_roles(Role.GOVERNANCE, Role.ADMIN),
) -> list[RevealLogEntry]:
    """Who saw buyers' full addresses, for a shop or an order (governance audits)."""
    try:
        return service.reveal_log(session, shop_id=shop_id, order_ref=order_ref)
    except RevealRequestInvalid:
        raise VALIDATION_ERROR(errors=[{"loc": ["query"], "msg": "give shop_id or order_ref"}]) from None

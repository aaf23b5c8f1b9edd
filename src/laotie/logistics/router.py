"""Logistics over HTTP: a shop's shipping templates, product shipping, quotes, tracking and late
shipments (for the merchant and for governance)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.logistics import service
from laotie.logistics.schemas import (
    CarrierOut,
    LateShipmentOut,
    ProductShippingIn,
    ProductShippingOut,
    Quote,
    ShipmentOut,
    ShippingPolicyIn,
    ShippingPolicyOut,
    TemplateIn,
    TemplateOut,
)

router = APIRouter(prefix="/api/v1", tags=["logistics"])
governance_router = APIRouter(prefix="/api/v1/governance", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
Region = Annotated[
    str, Query(pattern=r"^\d{6}$", description="adcode of the province (or a city/district in it)")
]


def _utc(since: datetime | None) -> datetime | None:
    """A ``since`` before the representable range means "from the start"."""
    if since is None:
        return None
    try:
        return since.astimezone(UTC)
    except OverflowError:
        return None


@router.get("/logistics/carriers", response_model=list[CarrierOut])
def carriers(_: Principal | None = PublicAccess) -> list[CarrierOut]:
    """The carriers a merchant may ship with, and an example tracking number of each."""
    return service.carrier_list()


@router.get("/products/{product_id}/shipping-quote", response_model=Quote)
def shipping_quote(
    session: DbSession,
    product_id: PathId,
    region: Region,
    quantity: Annotated[int, Query(ge=1, le=999)] = 1,
    sku_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    _: Principal | None = PublicAccess,
) -> Quote:
    """包邮 / 运费 ¥x / 新疆地区集运包邮 / 该地区不配送, before purchase."""
    return service.product_quote(session, product_id, region, quantity, sku_id)


@router.get("/shops/{shop_id}/shipping-templates", response_model=list[TemplateOut])
def list_templates(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> list[TemplateOut]:
    return service.list_templates(session, principal, shop_id)


@router.post("/shops/{shop_id}/shipping-templates", response_model=TemplateOut, status_code=201)
def create_template(
    session: DbSession, shop_id: PathId, body: TemplateIn, principal: Principal = AnyUser
) -> TemplateOut:
    return service.create_template(session, principal, shop_id, body)


@router.get("/shops/{shop_id}/shipping-templates/{template_id}", response_model=TemplateOut)
def get_template(
    session: DbSession, shop_id: PathId, template_id: PathId, principal: Principal = AnyUser
) -> TemplateOut:
    return service.get_template(session, principal, shop_id, template_id)


@router.put("/shops/{shop_id}/shipping-templates/{template_id}", response_model=TemplateOut)
def update_template(
    session: DbSession, shop_id: PathId, template_id: PathId, body: TemplateIn, principal: Principal = AnyUser
) -> TemplateOut:
    return service.update_template(session, principal, shop_id, template_id, body)


@router.delete("/shops/{shop_id}/shipping-templates/{template_id}", status_code=204)
def delete_template(
    session: DbSession, shop_id: PathId, template_id: PathId, principal: Principal = AnyUser
) -> Response:
    service.delete_template(session, principal, shop_id, template_id)
    return Response(status_code=204)


@router.get("/shops/{shop_id}/products/{product_id}/shipping", response_model=ProductShippingOut)
def get_product_shipping(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> ProductShippingOut:
    return service.get_product_shipping(session, principal, shop_id, product_id)


@router.put("/shops/{shop_id}/products/{product_id}/shipping", response_model=ProductShippingOut)
def set_product_shipping(
    session: DbSession,
    shop_id: PathId,
    product_id: PathId,
    body: ProductShippingIn,
    principal: Principal = AnyUser,
) -> ProductShippingOut:
    """Which template the product ships under (null: 包邮) and its weight in grams."""
    return service.set_product_shipping(session, principal, shop_id, product_id, body)


@router.get("/shops/{shop_id}/shipping-policy", response_model=ShippingPolicyOut)
def get_policy(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> ShippingPolicyOut:
    """The shop's ship-by hours (the platform's 48 unless the shop promised otherwise)."""
    return service.get_policy(session, principal, shop_id)


@router.put("/shops/{shop_id}/shipping-policy", response_model=ShippingPolicyOut)
def set_policy(
    session: DbSession, shop_id: PathId, body: ShippingPolicyIn, principal: Principal = AnyUser
) -> ShippingPolicyOut:
    return service.set_policy(session, principal, shop_id, body)


@router.get("/shops/{shop_id}/late-shipments", response_model=list[LateShipmentOut])
def shop_late_shipments(
    session: DbSession, shop_id: PathId, since: AwareDatetime | None = None, principal: Principal = AnyUser
) -> list[LateShipmentOut]:
    """The shop's orders shipped after (or still not shipped by) their ship-by deadline."""
    return service.shop_late_shipments(session, principal, shop_id, _utc(since))


@governance_router.get("/late-shipments", response_model=list[LateShipmentOut])
def late_shipments(
    session: DbSession,
    shop_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    since: AwareDatetime | None = None,
    _: Principal = Staff,
) -> list[LateShipmentOut]:
    return service.late_shipments(session, shop_id, _utc(since))


class SandboxAdvanceIn(BaseModel):
    """A sandbox parcel by tracking number or order id; ``to``: its next node or 签收."""

    reference: str = Field(min_length=1, max_length=60, description="tracking number or order id")
    to: Literal["next", "delivered"] = "next"


@router.post("/sandbox/carrier/advance", response_model=ShipmentOut, tags=["sandbox"])
def sandbox_carrier_advance(session: DbSession, body: SandboxAdvanceIn, _: Principal = Staff) -> ShipmentOut:
    """Staff, sandbox only: move a parcel's tracking ahead now (the next node, or to 签收), so that
    delivery and everything after it can be tried without waiting days. 404
    SANDBOX_CARRIER_DISABLED when a real carrier network is configured."""
    return service.sandbox_advance(session, body.reference, body.to)

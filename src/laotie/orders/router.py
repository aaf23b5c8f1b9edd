from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from laotie.addresses.schemas import AddressSnapshot
from laotie.core.auth import AnyUser, Principal
from laotie.core.batching import group_commit
from laotie.core.errors import AppError
from laotie.core.fast_routes import ID, FastCall, FastRoute, dump
from laotie.core.http import DbSession, PathId, error_response
from laotie.core.idempotency import idempotency_key_header
from laotie.core.numbers import StrictInt
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.principal_cache import CachedUser
from laotie.core.uow import unit_of_work
from laotie.logistics.schemas import ShipmentOut
from laotie.orders import access, cart, errors, fulfilment, paying, service, shipping
from laotie.orders.batcher import PlacementBatcher
from laotie.orders.models import Order, OrderStatus
from laotie.orders.schemas import BuyNowIn, CartItemIn, CartOut, CheckoutIn, OrderOut, PlacedCheckout
from laotie.payments.schemas import IntentOut

router = APIRouter(prefix="/api/v1", tags=["orders"])

IdempotencyKey = idempotency_key_header("retry with the same key: placed once")


def _own_order(session: DbSession, order_id: PathId, buyer: Principal = AnyUser) -> Order:
    return access.own_order(session, buyer, order_id)


def _shop_order(
    session: DbSession, shop_id: PathId, order_id: PathId, principal: Principal = AnyUser
) -> Order:
    return access.shop_order(session, principal, shop_id, order_id)


# Load-and-authorise: the route gets the order only if the caller may see it (``orders.access``).
OwnOrder = Annotated[Order, Depends(_own_order)]
ShopOrder = Annotated[Order, Depends(_shop_order)]


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=200)


async def _place(request: Request, buyer: Principal, body: CheckoutIn, key: str) -> Response:
    """The buy path: no worker thread, no session; the batcher decides it with its neighbours."""
    if not key:
        return error_response(request, errors.IDEMPOTENCY_KEY_REQUIRED())
    batcher: PlacementBatcher = request.app.state.placement_batcher
    return service.answer(request, await batcher.place(buyer.user_id, body, key))


@router.post("/checkout", response_model=PlacedCheckout, status_code=201)
async def checkout(
    body: CheckoutIn, request: Request, buyer: Principal = CachedUser, idempotency_key: str = IdempotencyKey
) -> Response:
    """Place one order per shop for the lines given (a cart checkout). Stock is reserved now; the
    lines bought then leave the cart (a convenience, in its own transaction)."""
    response = await _place(request, buyer, body, idempotency_key)
    if response.status_code in (200, 201):
        await run_in_threadpool(_clear_cart, request, buyer.user_id, [line.sku_id for line in body.lines])
    return response


def _clear_cart(request: Request, buyer_id: int, sku_ids: list[int]) -> None:
    with unit_of_work(request.app.state.db) as session:
        cart.clear_bought(session, buyer_id, sku_ids)
        session.commit()


@router.post("/orders/buy-now", response_model=PlacedCheckout, status_code=201)
async def buy_now(
    body: BuyNowIn, request: Request, buyer: Principal = CachedUser, idempotency_key: str = IdempotencyKey
) -> Response:
    """立即购买 from a live cart, video or product page: one SKU, no cart."""
    return await _place(request, buyer, body.as_checkout(), idempotency_key)


async def _fast_buy_now(call: FastCall) -> bool:
    """``buy_now`` before routing (``core.fast_routes``) for its plainest request: one key, a bearer
    token the principal cache knows, a JSON body the route's model takes as it is; anything else
    goes to the route (with the body read here given back)."""
    key = call.idempotency_key()
    if key is None:
        return False
    buyer = await call.principal()
    if buyer is None:
        return False
    wanted = await call.read_json(BuyNowIn)
    if isinstance(wanted, bool):
        return wanted
    batcher: PlacementBatcher = call.scope["app"].state.placement_batcher
    outcome = await batcher.place(buyer.user_id, wanted.as_checkout(), key)
    return await call.respond(service.answer(Request(call.scope), outcome))


FAST_BUY_NOW = FastRoute("POST", re.compile(r"/api/v1/orders/buy-now"), _fast_buy_now)


@router.post("/checkouts/{checkout_id}/pay", response_model=IntentOut)
async def pay_checkout(
    request: Request,
    checkout_id: PathId,
    buyer: Principal = CachedUser,
    idempotency_key: str = IdempotencyKey,
) -> IntentOut:
    """Start paying: decided with the other pays arriving at the same moment, all at once
    (``orders.paying.pay_many`` through ``core.batching.run_item``), in the transaction of the
    payments' group commit; no worker thread waits for the write lock."""
    payments_writer = group_commit(request.app, "payments")
    answer: IntentOut = await payments_writer.run_item(
        paying.pay_many, paying.PayIn(buyer, checkout_id, idempotency_key)
    )
    return answer


async def _fast_pay(call: FastCall) -> bool:
    """``pay_checkout`` before routing (``core.fast_routes``) for its plainest request: a canonical
    id, one key, a bearer token the principal cache knows; anything else goes to the route."""
    checkout_id, key = call.path_id(), call.idempotency_key()
    if checkout_id is None or key is None:
        return False
    buyer = await call.principal()
    if buyer is None:
        return False
    payments_writer = group_commit(call.scope["app"], "payments")
    try:
        answer = await payments_writer.run_item(paying.pay_many, paying.PayIn(buyer, checkout_id, key))
    except AppError as exc:
        return await call.answer_error(exc)
    return await call.answer(200, dump(answer))


FAST_PAY = FastRoute("POST", re.compile(rf"/api/v1/checkouts/{ID}/pay"), _fast_pay)


@router.get("/orders", response_model=Page[OrderOut])
def my_orders(
    session: DbSession,
    status: OrderStatus | None = None,
    params: PageParams = Depends(page_params),
    buyer: Principal = AnyUser,
) -> Page[OrderOut]:
    return service.buyer_orders(session, buyer, params, status)


@router.get("/orders/{order_id}", response_model=OrderOut)
def my_order(session: DbSession, order: OwnOrder) -> OrderOut:
    return service.order_out(session, order, full_address=True)


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(
    session: DbSession, order_id: PathId, body: CancelIn, buyer: Principal = AnyUser
) -> OrderOut:
    return service.cancel_by_buyer(session, buyer, order_id, body.reason)


@router.get("/shops/{shop_id}/orders", response_model=Page[OrderOut])
def shop_orders(
    session: DbSession,
    shop_id: PathId,
    status: OrderStatus | None = None,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[OrderOut]:
    return service.shop_orders(session, principal, shop_id, params, status)


@router.get("/shops/{shop_id}/orders/{order_id}", response_model=OrderOut)
def shop_order(session: DbSession, order: ShopOrder) -> OrderOut:
    """The buyer's address is masked until the shop prints a shipping label."""
    return service.order_out(session, order, full_address=False)


class ShipIn(BaseModel):
    carrier: str = Field(min_length=1, max_length=40, examples=["中通快递"])
    tracking_no: str = Field(min_length=4, max_length=60, pattern=r"^[A-Za-z0-9-]+$")


@router.post("/shops/{shop_id}/orders/{order_id}/ship", response_model=OrderOut)
def ship_order(
    session: DbSession, shop_id: PathId, order_id: PathId, body: ShipIn, principal: Principal = AnyUser
) -> OrderOut:
    fulfilment.ship(session, principal, shop_id, order_id, body.carrier, body.tracking_no)
    return service.shop_order(session, principal, shop_id, order_id)


@router.post("/shops/{shop_id}/orders/{order_id}/shipping-label", response_model=AddressSnapshot)
def shipping_label(
    session: DbSession, shop_id: PathId, order_id: PathId, principal: Principal = AnyUser
) -> AddressSnapshot:
    """The unmasked address for the label. Each call is audited (who, which shop, which order)."""
    return fulfilment.shipping_label(session, principal, shop_id, order_id)


@router.post("/orders/{order_id}/confirm-receipt", response_model=OrderOut)
def confirm_receipt(session: DbSession, order_id: PathId, buyer: Principal = AnyUser) -> OrderOut:
    fulfilment.confirm_receipt(session, buyer, order_id)
    return service.buyer_order(session, buyer, order_id)


@router.get("/orders/{order_id}/tracking", response_model=ShipmentOut | None)
def my_tracking(session: DbSession, order: OwnOrder) -> ShipmentOut | None:
    """物流详情: carrier, tracking number and the parcel's journey (newest first); null until shipped."""
    return shipping.tracking(session, order)


@router.get("/shops/{shop_id}/orders/{order_id}/tracking", response_model=ShipmentOut | None)
def shop_tracking(session: DbSession, order: ShopOrder) -> ShipmentOut | None:
    return shipping.tracking(session, order)


class CartQuantityIn(BaseModel):
    quantity: StrictInt = Field(ge=1, le=999)


@router.get("/cart", response_model=CartOut)
def my_cart(session: DbSession, buyer: Principal = AnyUser) -> CartOut:
    return cart.view(session, buyer.user_id)


@router.post("/cart/items", response_model=CartOut)
def add_to_cart(session: DbSession, body: CartItemIn, buyer: Principal = AnyUser) -> CartOut:
    return cart.add(session, buyer.user_id, body)


@router.put("/cart/items/{sku_id}", response_model=CartOut)
def set_cart_quantity(
    session: DbSession, sku_id: PathId, body: CartQuantityIn, buyer: Principal = AnyUser
) -> CartOut:
    return cart.set_quantity(session, buyer.user_id, sku_id, body.quantity)


@router.delete("/cart/items/{sku_id}", response_model=CartOut)
def remove_from_cart(session: DbSession, sku_id: PathId, buyer: Principal = AnyUser) -> CartOut:
    return cart.remove(session, buyer.user_id, [sku_id])

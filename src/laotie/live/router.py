"""Live rooms over HTTP and WebSocket: rooms and keys, sessions, the live cart, flash sales, reports,
and nginx-rtmp's publish callbacks."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, TypeAdapter
from starlette.concurrency import run_in_threadpool

from laotie.catalog import service as catalog
from laotie.core import uow
from laotie.core.auth import AnyUser, NoPrincipal, Principal, PublicAccess
from laotie.core.http import DbSession, PathId, error_response
from laotie.core.idempotency import idempotency_key_header
from laotie.core.principal_cache import CachedUser
from laotie.core.request_body import BodyLimit, body_limit
from laotie.core.uow import unit_of_work
from laotie.live import errors, service
from laotie.live.realtime.hub import Hub
from laotie.live.schemas import (
    CartItemIn,
    CartItemOut,
    CartOrderIn,
    CommentOut,
    FlashBuyIn,
    FlashSaleIn,
    FlashSaleOut,
    IntentOut,
    PinIn,
    RoomIn,
    RoomOut,
    SessionIn,
    SessionOut,
    SessionReport,
    StreamKeyOut,
)
from laotie.live.ws import websocket_endpoint
from laotie.orders import errors as order_errors
from laotie.orders import service as orders
from laotie.orders.schemas import CheckoutIn, PlacedCheckout

router = APIRouter(prefix="/api/v1/live", tags=["live"])

IdempotencyKey = idempotency_key_header("retry with the same key: placed once")


class OpenedRoom(BaseModel):
    room: RoomOut
    key: StreamKeyOut


class _NoHub:
    """Before the app's lifespan started the hub (an app driven without it): realtime is a no-op."""

    async def publish(self, session_id: int, message: dict[str, Any]) -> None:
        return None

    def stock_changed(self, flash_id: int) -> None:
        return None


def _hub(request: Request) -> Hub | _NoHub:
    hub: Hub | None = request.app.state.live_hub
    return hub if hub is not None else _NoHub()


@router.post("/rooms", response_model=OpenedRoom, status_code=201)
def open_room(session: DbSession, body: RoomIn, principal: Principal = AnyUser) -> OpenedRoom:
    """Open the caller's live room (a shop's, or a creator's own). The stream key is shown only now."""
    room, key = service.open_room(session, principal, body)
    return OpenedRoom(room=room, key=key)


@router.get("/rooms/mine", response_model=list[RoomOut])
def my_rooms(session: DbSession, principal: Principal = AnyUser) -> list[RoomOut]:
    return service.my_rooms(session, principal)


@router.post("/rooms/{room_id}/stream-key", response_model=StreamKeyOut)
def rotate_key(session: DbSession, room_id: PathId, principal: Principal = AnyUser) -> StreamKeyOut:
    """A new stream key; the previous one is revoked at once."""
    return service.rotate_key(session, principal, room_id)


@router.get("/rooms/{room_id}/sessions", response_model=list[SessionOut])
def room_sessions(session: DbSession, room_id: PathId, principal: Principal = AnyUser) -> list[SessionOut]:
    return service.room_sessions(session, principal, room_id)


@router.post("/rooms/{room_id}/sessions", response_model=SessionOut, status_code=201)
def create_session(
    session: DbSession, room_id: PathId, body: SessionIn, principal: Principal = AnyUser
) -> SessionOut:
    """Schedule a broadcast; it goes live when the anchor starts pushing with the room's stream key."""
    return service.create_session(session, principal, room_id, body)


@router.get("/sessions", response_model=list[SessionOut])
def live_now(session: DbSession, _: Principal | None = PublicAccess) -> list[SessionOut]:
    """Sessions on air now, newest first."""
    return service.live_now(session)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_live_session(
    session: DbSession, session_id: PathId, _: Principal | None = PublicAccess
) -> SessionOut:
    return service.get_session(session, session_id)


@router.post("/sessions/{session_id}/end", response_model=SessionOut)
async def end_session(
    session: DbSession, session_id: PathId, request: Request, principal: Principal = AnyUser
) -> SessionOut:
    out = await run_in_threadpool(service.end_session, session, principal, session_id)
    uow.after_commit(
        session, partial(_hub(request).publish, session_id, {"type": "session", "status": out.status.value})
    )
    return out


@router.put(
    "/sessions/{session_id}/cover", response_model=SessionOut, openapi_extra=body_limit(BodyLimit.IMAGE)
)
def set_cover(
    session: DbSession,
    session_id: PathId,
    request: Request,
    file: UploadFile = File(...),
    principal: Principal = AnyUser,
) -> SessionOut:
    service.get_session(session, session_id)  # 404 before reading the upload
    data = file.file.read(request.app.state.settings.max_upload_bytes + 1)
    processed = catalog.process_image(data, request.app.state.settings.max_upload_bytes)
    storage = request.app.state.storage
    key = storage.put("live-covers", processed.suffix, processed.original)
    uow.if_not_committed(session, partial(storage.delete, key))
    out, old = service.set_cover(session, principal, session_id, key)
    if old:
        uow.after_commit(session, partial(storage.delete, old))
    return out


@router.get("/sessions/{session_id}/cover", response_class=Response)
def cover(
    session: DbSession, session_id: PathId, request: Request, _: Principal | None = PublicAccess
) -> Response:
    key = service.cover_key(session, session_id)
    path = request.app.state.storage.path(key) if key else None
    if path is None:
        raise errors.SESSION_NOT_FOUND(session_id=session_id, cover=False)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=300"})


_CART_JSON = TypeAdapter(list[CartItemOut])


@router.get(
    "/sessions/{session_id}/cart",
    response_model=list[CartItemOut],
    response_class=Response,
    responses={304: {"description": "Not modified: the ETag in If-None-Match still holds"}},
)
async def cart(request: Request, session_id: PathId, _: None = NoPrincipal) -> Response:
    """The live cart (小黄车) with the pinned item and flash sales: the same for every viewer of a
    room, so it is built once and served as bytes, at most ``core.read_cache`` TTL (1 s) old (a
    flash sale's ``remaining`` too: buying rereads it under its lock)."""
    body = await catalog.cached_read(
        request,
        f"live-cart|{session_id}",
        lambda s: _CART_JSON.dump_json(service.cart_view(s, session_id)),
        session=True,
    )
    if body is None:  # not reached: the view is a list, or raises SESSION_NOT_FOUND
        raise errors.SESSION_NOT_FOUND(session_id=session_id)
    return catalog.cached_answer(request, body)


@router.post("/sessions/{session_id}/cart", response_model=list[CartItemOut])
def add_to_cart(
    session: DbSession, session_id: PathId, body: CartItemIn, principal: Principal = AnyUser
) -> list[CartItemOut]:
    return service.add_to_cart(session, principal, session_id, body.product_id)


@router.delete("/sessions/{session_id}/cart/{item_id}", response_model=list[CartItemOut])
def remove_from_cart(
    session: DbSession, session_id: PathId, item_id: PathId, principal: Principal = AnyUser
) -> list[CartItemOut]:
    return service.remove_from_cart(session, principal, session_id, item_id)


@router.put("/sessions/{session_id}/cart-order", response_model=list[CartItemOut])
def reorder_cart(
    session: DbSession, session_id: PathId, body: CartOrderIn, principal: Principal = AnyUser
) -> list[CartItemOut]:
    return service.reorder_cart(session, principal, session_id, body.item_ids)


@router.put("/sessions/{session_id}/pin", response_model=CartItemOut | None)
async def pin(
    session: DbSession, session_id: PathId, body: PinIn, request: Request, principal: Principal = AnyUser
) -> CartItemOut | None:
    """讲解中: pin the product being explained now; every viewer sees it at once."""
    item = await run_in_threadpool(service.pin, session, principal, session_id, body.item_id)
    message: dict[str, Any] = {"type": "pinned", "item": item.model_dump(mode="json") if item else None}
    uow.after_commit(session, partial(_hub(request).publish, session_id, message))
    return item


@router.post("/sessions/{session_id}/flash-sales", response_model=FlashSaleOut, status_code=201)
async def create_flash_sale(
    session: DbSession,
    session_id: PathId,
    body: FlashSaleIn,
    request: Request,
    principal: Principal = AnyUser,
) -> FlashSaleOut:
    """秒杀: the quantity is reserved from the SKU's stock now; the sale opens exactly at its start."""
    sale = await run_in_threadpool(service.create_flash_sale, session, principal, session_id, body)

    async def announce() -> None:
        await _hub(request).publish(session_id, {"type": "flash", "sale": sale.model_dump(mode="json")})
        openings = request.app.state.live_openings  # every process re-schedules it at start-up too
        if openings is not None:
            openings.schedule(sale.id, sale.starts_at)

    uow.after_commit(session, announce)
    return sale


def _prepare_flash(request: Request, session_id: int, flash_id: int) -> service.FlashPurchase:
    with unit_of_work(request.app.state.db, read_only=True) as session:
        return service.prepare_buy(session, session_id, flash_id)


@router.post(
    "/sessions/{session_id}/flash-sales/{flash_id}/buy", response_model=PlacedCheckout, status_code=201
)
async def buy_flash(
    session_id: PathId,
    flash_id: PathId,
    body: FlashBuyIn,
    request: Request,
    buyer: Principal = CachedUser,
    idempotency_key: str = IdempotencyKey,
) -> Response:
    """Buy from a flash sale at its price (set here, never by the client) through the batched buy
    path: the order has channel live, this session and the anchor (when a creator)."""
    if not idempotency_key:
        return error_response(request, order_errors.IDEMPOTENCY_KEY_REQUIRED())
    purchase = await run_in_threadpool(_prepare_flash, request, session_id, flash_id)
    checkout = CheckoutIn.model_validate(
        {
            "lines": [
                {
                    "sku_id": purchase.sale.sku_id,
                    "quantity": body.quantity,
                    "expected_unit_price_fen": purchase.sale.price_fen,
                }
            ],
            "address_id": body.address_id,
            "pay_mode": body.pay_mode,
            "attribution": {
                "channel": "live",
                "live_session_id": session_id,
                "creator_id": purchase.creator_id,
            },
        }
    )
    batcher = request.app.state.placement_batcher
    outcome = await batcher.place(buyer.user_id, checkout, idempotency_key, purchase.override)
    if outcome.placed is not None and not outcome.replayed:
        _hub(request).stock_changed(flash_id)
    return orders.answer(request, outcome)


@router.get("/sessions/{session_id}/report", response_model=SessionReport)
def report(session: DbSession, session_id: PathId, principal: Principal = AnyUser) -> SessionReport:
    """直播复盘: viewers, engagement and sales of the session (for its anchor)."""
    return service.session_report(session, principal, session_id)


@router.get("/sessions/{session_id}/intent", response_model=IntentOut)
def intent(session: DbSession, session_id: PathId, principal: Principal = AnyUser) -> IntentOut:
    """求讲解 signals for the anchor's console: purchase-intent comments per minute and per product."""
    return service.session_intent(session, principal, session_id)


@router.get("/sessions/{session_id}/comments/mine", response_model=list[CommentOut])
def my_comments(session: DbSession, session_id: PathId, principal: Principal = AnyUser) -> list[CommentOut]:
    return service.my_comments(session, principal, session_id)


# nginx-rtmp's callbacks: form posts with the stream name (the key). 2xx lets the publisher in; 403
# drops it. The secret in the query (written into nginx's configuration by `laotie media`) keeps
# strangers from ending sessions by name.


def _check_secret(request: Request, secret: str) -> None:
    expected = request.app.state.settings.media_callback_secret
    if not secrets.compare_digest(secret.encode(), expected.encode()):
        raise errors.STREAM_KEY_INVALID(reason="callback secret")


@router.post("/media/on-publish", status_code=204, responses={302: {"description": "renamed for playback"}})
async def on_publish(
    session: DbSession,
    request: Request,
    name: str = Form(min_length=1, max_length=200),
    secret: str = Query(min_length=1, max_length=200),
    _: Principal | None = PublicAccess,
) -> Response:
    """A publisher connected: a valid key starts its session. The answer relays the stream to the
    playback application under the session's playback name, so HLS URLs never show the key."""
    _check_secret(request, secret)
    row, _room = await run_in_threadpool(service.start_by_key, session, name)
    uow.after_commit(session, partial(_hub(request).publish, row.id, {"type": "session", "status": "live"}))
    # nginx-rtmp: a 3xx with an rtmp:// location relays (pushes) the stream there.
    ingest = request.app.state.settings.media_rtmp_url.rstrip("/")
    location = f"{ingest.rsplit('/', 1)[0]}/hls/{row.playback_name}"
    return Response(status_code=302, headers={"Location": location})


@router.post("/media/on-publish-done", status_code=204)
async def on_publish_done(
    session: DbSession,
    request: Request,
    name: str = Form(min_length=1, max_length=200),
    secret: str = Query(min_length=1, max_length=200),
    _: Principal | None = PublicAccess,
) -> Response:
    """The stream stopped: its session ends."""
    _check_secret(request, secret)
    ended = await run_in_threadpool(service.media_publish_done, session, name)
    if ended is not None:
        uow.after_commit(
            session, partial(_hub(request).publish, ended, {"type": "session", "status": "ended"})
        )
    return Response(status_code=204)


router.add_api_websocket_route("/sessions/{session_id}/ws", websocket_endpoint)

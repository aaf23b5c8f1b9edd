"""Catalog HTTP API: the buyer shelf, the merchant's product console and the governance review desk."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from laotie.catalog import errors, http_cache, service
from laotie.catalog.schemas import (
    MAX_ID,
    ImageOut,
    PriceChangeOut,
    ProductCreate,
    ProductDetail,
    ProductEventOut,
    ProductOut,
    ProductStatus,
    ProductUpdate,
    ReviewDecision,
    ShelfPage,
    SkuOut,
    SkuPriceIn,
    SkuStockIn,
    Sort,
)
from laotie.core import uow
from laotie.core.auth import AnyUser, NoPrincipal, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, error_response
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.request_body import BodyLimit, body_limit

router = APIRouter(prefix="/api/v1", tags=["catalog"])
# The shelf and a product's detail: the busiest reads, on their own router so ``app.py`` can try them
# before the others (each route tried costs a regex and FastAPI's scope bookkeeping per request).
public_router = APIRouter(prefix="/api/v1", tags=["catalog"])
governance_router = APIRouter(prefix="/api/v1/governance/products", tags=["governance"])

T = TypeVar("T")
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Search = Annotated[str | None, Query(max_length=50, pattern=r"^[^\x00]*$", description="part of the title")]


# Buyers: the shelf, product pages and images.


def _released(session: Session, result: T) -> T:
    """Hand the pooled connection back before the response is sent. The request's session is
    otherwise closed by the dependency's teardown, which waits for a free worker thread; with 100
    shoppers at once, requests holding connections waited for threads while the threads waited for
    connections, until the pool timed out. These public reads are the hottest paths, so they release
    early; closing twice is harmless."""
    session.close()
    return result


@public_router.get("/products", response_model=ShelfPage, response_class=Response)
async def shelf(
    request: Request,
    params: PageParams = Depends(page_params),
    category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Search = None,
    sort: Sort = "default",
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]*$",
            description="the previous page's next_cursor: the page after it, stable while products "
            "are listed (offset is then ignored)",
        ),
    ] = None,
    _: None = NoPrincipal,
) -> Response:
    """The buyer shelf (the same for every caller, so it needs no token). At most
    ``core.read_cache`` TTL (1 s) old; ``total`` at most ``public_reads.COUNTS_TTL`` (30 s; 5 s with shop_id or q)."""
    key = http_cache.shelf_key(params.limit, params.offset, category_id, shop_id, q, sort, cursor)
    build = http_cache.shelf_build(params.limit, params.offset, category_id, shop_id, q, sort, cursor)
    body = await http_cache.ready(request, key, build)
    assert body is not None
    return http_cache.answer(request, body)


@public_router.get(
    "/products/{product_id}",
    response_model=ProductDetail,
    response_class=Response,
    responses={304: {"description": "Not modified: the ETag in If-None-Match still holds"}},
)
async def product_page(request: Request, product_id: PathId, _: None = NoPrincipal) -> Response:
    """A product on the shelf, at most ``core.read_cache`` TTL (1 s) old; buying rereads it."""
    db = request.app.state.db
    body = await http_cache.ready(
        request, http_cache.detail_key(product_id), http_cache.detail_build(db, product_id)
    )
    if body is None:
        return error_response(request, errors.PRODUCT_NOT_FOUND(product_id=product_id))
    return http_cache.answer(request, body)


# Pictures are served in the format they were stored in; declared so clients know what to expect.
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The picture", "content": {t: {} for t in ("image/jpeg", "image/png", "image/webp")}}
}


def _file_response(request: Request, stored: service.StoredFile) -> Response:
    storage = request.app.state.storage
    headers = {
        "Cache-Control": "public, max-age=3600" if stored.public else "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    path = storage.path(stored.key)
    if path is not None:
        return FileResponse(path, media_type=stored.content_type, headers=headers)
    try:
        data = storage.read(stored.key)
    except (FileNotFoundError, ValueError):
        raise errors.IMAGE_NOT_FOUND() from None
    return Response(data, media_type=stored.content_type, headers=headers)


@router.get(
    "/products/{product_id}/images/{image_id}",
    response_model=None,
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
def image(
    session: DbSession,
    product_id: PathId,
    image_id: PathId,
    request: Request,
    principal: Principal | None = PublicAccess,
) -> Response:
    stored = _released(session, service.image_file(session, principal, product_id, image_id))
    return _file_response(request, stored)


@router.get(
    "/products/{product_id}/images/{image_id}/thumb",
    response_model=None,
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
def thumbnail(
    session: DbSession,
    product_id: PathId,
    image_id: PathId,
    request: Request,
    principal: Principal | None = PublicAccess,
) -> Response:
    stored = _released(session, service.image_file(session, principal, product_id, image_id, thumb=True))
    return _file_response(request, stored)


# Merchants: their own shop's products. Membership is checked in the service.


@router.post(
    "/shops/{shop_id}/products",
    response_model=ProductOut,
    status_code=201,
    openapi_extra=body_limit(BodyLimit.TEXT),
)
def create_product(
    session: DbSession, shop_id: PathId, body: ProductCreate, principal: Principal = AnyUser
) -> ProductOut:
    return service.create_product(session, principal, shop_id, body)


@router.get("/shops/{shop_id}/products", response_model=Page[ProductOut])
def shop_products(
    session: DbSession,
    shop_id: PathId,
    params: PageParams = Depends(page_params),
    status: ProductStatus | None = None,
    q: Search = None,
    principal: Principal = AnyUser,
) -> Page[ProductOut]:
    return service.list_shop_products(session, principal, shop_id, params, status=status, q=q)


@router.get("/shops/{shop_id}/products/{product_id}", response_model=ProductOut)
def shop_product(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> ProductOut:
    return service.get_product(session, principal, product_id, shop_id=shop_id)


@router.patch(
    "/shops/{shop_id}/products/{product_id}",
    response_model=ProductOut,
    openapi_extra=body_limit(BodyLimit.TEXT),
)
def update_product(
    session: DbSession,
    shop_id: PathId,
    product_id: PathId,
    body: ProductUpdate,
    principal: Principal = AnyUser,
) -> ProductOut:
    return service.update_product(session, principal, product_id, body, shop_id=shop_id)


@router.get("/shops/{shop_id}/products/{product_id}/events", response_model=list[ProductEventOut])
def shop_product_events(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> list[ProductEventOut]:
    return service.product_events(session, principal, product_id, shop_id=shop_id)


@router.post(
    "/shops/{shop_id}/products/{product_id}/images",
    response_model=ImageOut,
    status_code=201,
    openapi_extra=body_limit(BodyLimit.IMAGE),
)
def upload_image(
    session: DbSession,
    shop_id: PathId,
    product_id: PathId,
    request: Request,
    file: UploadFile = File(description="JPEG, PNG or WebP"),
    principal: Principal = AnyUser,
) -> ImageOut:
    limit: int = request.app.state.settings.max_upload_bytes
    data = file.file.read(limit + 1)  # one byte over the limit is enough to refuse it
    return service.add_image(
        session,
        request.app.state.storage,
        principal,
        product_id,
        file.filename or "",
        file.content_type or "",
        data,
        shop_id=shop_id,
        max_bytes=limit,
    )


@router.delete("/shops/{shop_id}/products/{product_id}/images/{image_id}", response_model=ProductOut)
def delete_image(
    session: DbSession,
    shop_id: PathId,
    product_id: PathId,
    image_id: PathId,
    request: Request,
    principal: Principal = AnyUser,
) -> ProductOut:
    out, keys = service.delete_image(session, principal, product_id, image_id, shop_id=shop_id)
    for key in keys:  # the files go once no committed row names them
        uow.after_commit(session, partial(request.app.state.storage.delete, key))
    return out


@router.post("/shops/{shop_id}/products/{product_id}/submit", response_model=ProductOut)
def submit(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> ProductOut:
    return service.submit_for_review(session, principal, product_id, shop_id=shop_id)


@router.post("/shops/{shop_id}/products/{product_id}/delist", response_model=ProductOut)
def delist(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> ProductOut:
    return service.delist(session, principal, product_id, shop_id=shop_id)


@router.post("/shops/{shop_id}/products/{product_id}/relist", response_model=ProductOut)
def relist(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> ProductOut:
    return service.relist(session, principal, product_id, shop_id=shop_id)


@router.put("/shops/{shop_id}/skus/{sku_id}/price", response_model=SkuOut)
def set_price(
    session: DbSession, shop_id: PathId, sku_id: PathId, body: SkuPriceIn, principal: Principal = AnyUser
) -> SkuOut:
    return service.set_sku_price(
        session,
        principal,
        sku_id,
        body.price_fen,
        body.reason,
        original_price_fen=body.original_price_fen,
        shop_id=shop_id,
    )


@router.put("/shops/{shop_id}/skus/{sku_id}/stock", response_model=SkuOut)
def set_stock(
    session: DbSession, shop_id: PathId, sku_id: PathId, body: SkuStockIn, principal: Principal = AnyUser
) -> SkuOut:
    return service.set_sku_stock(session, principal, sku_id, body.stock, shop_id=shop_id)


@router.get("/shops/{shop_id}/skus/{sku_id}/price-history", response_model=list[PriceChangeOut])
def price_history(
    session: DbSession, shop_id: PathId, sku_id: PathId, principal: Principal = AnyUser
) -> list[PriceChangeOut]:
    return service.price_history(session, sku_id, principal=principal, shop_id=shop_id)


# Governance staff: the review desk.


@governance_router.get("/review-queue", response_model=Page[ProductOut])
def review_queue(
    session: DbSession, params: PageParams = Depends(page_params), _: Principal = Staff
) -> Page[ProductOut]:
    return service.review_queue(session, params)


@governance_router.get("/{product_id}", response_model=ProductOut)
def inspect(session: DbSession, product_id: PathId, staff: Principal = Staff) -> ProductOut:
    return service.inspect_product(session, staff, product_id)


@governance_router.get("/{product_id}/events", response_model=list[ProductEventOut])
def events(session: DbSession, product_id: PathId, staff: Principal = Staff) -> list[ProductEventOut]:
    return service.product_events(session, staff, product_id)


@governance_router.post("/{product_id}/approve", response_model=ProductOut)
def approve(
    session: DbSession, product_id: PathId, body: ReviewDecision | None = None, staff: Principal = Staff
) -> ProductOut:
    return service.approve(session, staff, product_id, body.reason if body else "")


@governance_router.post("/{product_id}/reject", response_model=ProductOut)
def reject(
    session: DbSession, product_id: PathId, body: ReviewDecision, staff: Principal = Staff
) -> ProductOut:
    return service.reject(session, staff, product_id, body.reason)


@governance_router.post("/{product_id}/ban", response_model=ProductOut)
def ban(session: DbSession, product_id: PathId, body: ReviewDecision, staff: Principal = Staff) -> ProductOut:
    return service.ban(session, staff, product_id, body.reason)

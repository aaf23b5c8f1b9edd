"""A product's page for buyers (the home feed, search and the shelves are in ``pages_discovery``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from laotie.catalog import errors as catalog_errors
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductDetail
from laotie.categories import service as categories
from laotie.core.auth import NoPrincipal, Principal
from laotie.core.db import Database
from laotie.core.http import PathId, session_gate
from laotie.core.read_cache import ReadCache
from laotie.core.uow import unit_of_work
from laotie.logistics import service as logistics
from laotie.promotions import service as promotions
from laotie.promotions.schemas import CouponOut, ProductPromotionsOut
from laotie.scores import service as scores
from laotie.scores.schemas import ShopScoresOut
from laotie.shops import service as shops
from laotie.shops.schemas import ShopOut
from laotie.web import pages_logistics
from laotie.web.rendering import FLASH_COOKIE, PageRoute, env, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
HTML = "text/html; charset=utf-8"
# A visitor's page may be kept by the browser but not by a shared cache (it is the page of someone
# not signed in; a shared cache could hand it to a signed-in buyer), and is revalidated every time.
ANONYMOUS_CACHE_CONTROL = "private, no-cache"


def anonymous_key(product_id: int, region: str | None, sq: str) -> str:
    return f"p|{product_id}|{region or ''}|{sq}"


def anonymous_build(db: Database, product_id: int, region: str | None, sq: str) -> Callable[[Session], bytes]:
    """The page of a visitor who is not signed in (no token, no one-shot message): the same for all
    of them. PRODUCT_NOT_FOUND when the product is not on the shelf."""
    return lambda session: _anonymous_page(db, session, product_id, region, sq)


@router.get("/p/{product_id}", response_class=HTMLResponse)
async def product_page(
    request: Request,
    product_id: PathId,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    sq: Annotated[str, Query(max_length=60)] = "",
    _: None = NoPrincipal,
) -> Response:
    """The product page. A visitor who is not signed in (no token, no one-shot message) gets the
    same page as every other such visitor: built once, kept as bytes at most ``core.read_cache``
    TTL (1 s), answered with an ETag. A signed-in buyer's page (their coupons, their header) is
    built for them each time."""
    sq = " ".join(sq.split())
    token = _token(request)
    if token is None and FLASH_COOKIE not in request.cookies:
        db = request.app.state.db
        ready = await catalog.cached_read(
            request,
            anonymous_key(product_id, region, sq),
            anonymous_build(db, product_id, region, sq),
            session=True,
        )
        assert ready is not None
        response = catalog.cached_answer(request, ready, media_type=HTML)
        response.headers["Cache-Control"] = ANONYMOUS_CACHE_CONTROL
        return response
    db = request.app.state.db
    async with session_gate(db):
        return await run_in_threadpool(_signed_in_page, request, db, token, product_id, region, sq)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get("laotie_token") or None


def _signed_in_page(
    request: Request, db: Database, token: str | None, product_id: int, region: str | None, sq: str
) -> Response:
    with unit_of_work(db, read_only=True) as session:
        principal = request.app.state.resolve_principal(session, token) if token else None
        return _page(request, session, principal, product_id, region, sq)


@dataclass(frozen=True, slots=True)
class ProductParts:
    """What a product page shows that is the same for every buyer: kept per process under the read
    cache's bound (``core.read_cache``, 1 s), so a signed-in buyer's page, built for them alone,
    still reads the product, its promotions and its shop's scores once a second at most."""

    product: ProductDetail
    shop: ShopOut
    skus: list[dict[str, Any]]
    promos: ProductPromotionsOut
    return_exempt: bool
    dsr: ShopScoresOut


# A shop's facts on its products' pages (name, DSR, claimable coupons, its shipping templates' rules)
# and a category's return rule are kept longer than a product's: with 1 s, a page at random over
# 10,000 products rebuilt them for nearly every page (100 shops, 150 categories). None of them decides
# what is sold or at what price: the product's price, stock and visibility (a frozen shop's products
# too) come from the product's document under the 1 s bound; claiming a coupon and the after-sales
# rules are checked when used, and checkout quotes shipping afresh (the page's line is a display).
SHOP_FACTS_TTL = 10.0


@dataclass(frozen=True, slots=True)
class _ShopParts:
    """A shop's part of its products' pages: read once per shop, not once per product (a shop has
    many products and a buyer's random walk through the shelf meets the same shops again and again)."""

    shop: ShopOut
    dsr: ShopScoresOut
    coupons: list[CouponOut]  # the shop's claimable coupons: the same on each of its products' pages


def _parts(session: Session, cache: ReadCache, product_id: int) -> ProductParts | None:
    """``None`` when the product is not on the shelf. The product is the document the JSON detail
    serves (``catalog.detail_document``, shared through the same cache)."""
    # on the session's connection, as the JSON detail reads it: through the Session each of its
    # three statements paid the ORM's execution machinery on top
    document = catalog.cached_detail_document(cache, session.connection(), product_id)
    if document is None:
        return None
    product = ProductDetail.model_validate(document)
    shop_parts = cache.value(
        f"pshop|{product.shop_id}", lambda: _shop_parts(session, product.shop_id), ttl=SHOP_FACTS_TTL
    )
    exempt = cache.value(
        # the guarantees the category's rules give (生鲜 and the like: no 七天无理由)
        f"pcat|{product.category_id}",
        lambda: categories.return_exemptions(session, [product.category_id]).get(product.category_id, False),
        ttl=SHOP_FACTS_TTL,
    )
    skus = [
        {
            "id": s["id"],
            "attrs": s["attrs"],
            "price_fen": s["price_fen"],
            "original_price_fen": s["original_price_fen"],
            "stock": s["stock"],
            "active": s["active"],
        }
        for s in document["skus"]
    ]
    return ProductParts(
        product=product,
        shop=shop_parts.shop,
        skus=skus,
        promos=promotions.promotions_of(
            session, product, shop_parts.coupons
        ),  # campaign / subsidy prices, multi-buy, coupons
        return_exempt=exempt,
        dsr=shop_parts.dsr,  # the shop's three DSR against its category
    )


def _shop_parts(session: Session, shop_id: int) -> _ShopParts:
    return _ShopParts(
        shop=shops.get_shop(session, shop_id),
        dsr=scores.shop_scores(session, [shop_id])[shop_id],
        coupons=promotions.claimable(session, shop_id),
    )


def _context(
    db: Database, session: Session, principal: Principal | None, product_id: int, region: str | None, sq: str
) -> dict[str, Any]:
    cache = catalog.read_cache_for(db)
    parts = cache.value(f"pp|{product_id}", lambda: _parts(session, cache, product_id))
    if parts is None:
        raise catalog_errors.PRODUCT_NOT_FOUND(product_id=product_id)
    province = pages_logistics.shipping_province(session, principal, region)
    shop_id = parts.product.shop_id
    templates = cache.value(  # which template a product ships under is read with the quote, 1 s
        f"pship|{shop_id}", lambda: logistics.shop_templates(session, shop_id), ttl=SHOP_FACTS_TTL
    )
    shipping = cache.value(
        f"ps|{product_id}|{province}",
        lambda: pages_logistics.shipping_to(session, parts.product, province, templates),
    )
    held = (
        promotions.held_counts(session, principal.user_id, [c.id for c in parts.promos.coupons])
        if principal
        else {}
    )
    return {
        "product": parts.product,
        "shop": parts.shop,
        "skus": parts.skus,
        "q": "",
        "promos": parts.promos,
        "held": held,
        "shipping": shipping,
        "return_exempt": parts.return_exempt,
        "dsr": parts.dsr,
        "sq": sq,  # the search that led here: an order placed from this page carries it
    }


def _anonymous_page(db: Database, session: Session, product_id: int, region: str | None, sq: str) -> bytes:
    context = _context(db, session, None, product_id, region, sq)
    # The template reads only the request's path (the log-in link's "next"): the same for every visitor.
    here = SimpleNamespace(url=SimpleNamespace(path=f"/p/{product_id}"))
    html = _PRODUCT_TEMPLATE.render(request=here, flash=None, me=None, principal=None, **context)
    return html.encode()


def _page(
    request: Request,
    session: Session,
    principal: Principal | None,
    product_id: int,
    region: str | None,
    sq: str,
) -> HTMLResponse:
    context = _context(request.app.state.db, session, principal, product_id, region, sq)
    return render(request, session, principal, "product.html", **context)


# The anonymous page's template, compiled once. Its environment never rereads a template file that
# changed on disk (``auto_reload``): that check was a stat() of four files per page.
_PRODUCT_TEMPLATE = env.overlay(auto_reload=False).get_template("product.html")

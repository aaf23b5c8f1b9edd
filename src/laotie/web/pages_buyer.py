"""What a buyer browses: the shelf (home, categories, search), product detail and shop pages."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import Sort as ShelfSort
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryNode
from laotie.core.auth import Principal, PublicAccess
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.live import service as live
from laotie.promotions import service as promotions
from laotie.shops import service as shops
from laotie.video import service as video
from laotie.web import pages_logistics
from laotie.web.rendering import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20
STRIP_SIZE = 8  # rooms on air and latest videos above the home page's shelf
SORTS = {"default": "综合", "newest": "新品", "price_asc": "价格从低到高", "price_desc": "价格从高到低"}
PageNo = Annotated[int, Query(ge=1, le=1000)]
Sort = Annotated[str, Query(max_length=20)]


def _params(page: int) -> PageParams:
    return PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)


def _sort(sort: str) -> ShelfSort:
    return cast(ShelfSort, sort) if sort in SORTS else "default"


def _trail(nodes: list[CategoryNode], category_id: int) -> list[CategoryNode]:
    """The nodes from a root down to ``category_id`` (empty when it is not in the tree)."""
    for node in nodes:
        if node.id == category_id:
            return [node]
        below = _trail(node.children, category_id)
        if below:
            return [node, *below]
    return []


def _listing(
    request: Request,
    session: Session,
    principal: Principal | None,
    *,
    page: int,
    sort: str,
    base: str,
    category_id: int | None = None,
    q: str | None = None,
    **context: Any,
) -> HTMLResponse:
    sort = _sort(sort)
    tree = categories.tree(session)
    trail = _trail(tree, category_id) if category_id else []
    current = trail[-1] if trail else None
    # Under a category show its children; at a leaf, its siblings, so the buyer can move sideways.
    sub = current.children if current and current.children else (trail[-2].children if len(trail) > 1 else [])
    result = catalog.list_listed(session, _params(page), category_id=category_id, q=q, sort=sort)
    return render(
        request,
        session,
        principal,
        "listing.html",
        tree=tree,
        trail=trail,
        current=current,
        sub=sub,
        result=result,
        sorts=SORTS,
        sort=sort,
        base=base,
        q=q or "",
        query={"q": q or "", "sort": sort if sort != "default" else ""},
        **context,
    )


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    page: PageNo = 1,
    sort: Sort = "default",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    # Live commerce first, as in the app: who is on air now and the newest short videos (first page only).
    on_air = live.on_air_cards(session, STRIP_SIZE) if page == 1 else []
    videos = video.feed(session, PageParams(limit=STRIP_SIZE, offset=0)).items if page == 1 else []
    return _listing(
        request,
        session,
        principal,
        page=page,
        sort=sort,
        base="/",
        is_home=True,
        on_air=on_air,
        videos=videos,
    )


@router.get("/c/{category_id}", response_class=HTMLResponse)
def category_page(
    request: Request,
    category_id: PathId,
    page: PageNo = 1,
    sort: Sort = "default",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    category = categories.get_category(session, category_id)
    return _listing(
        request,
        session,
        principal,
        page=page,
        sort=sort,
        base=f"/c/{category_id}",
        category_id=category.id,
        heading=category.name,
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=60)] = "",
    page: PageNo = 1,
    sort: Sort = "default",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    q = q.strip()
    return _listing(
        request,
        session,
        principal,
        page=page,
        sort=sort,
        base="/search",
        q=q or None,
        heading=f"“{q}”的搜索结果" if q else "全部商品",
    )


@router.get("/p/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request,
    product_id: PathId,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    product = catalog.get_listed(session, product_id)
    shop = shops.get_shop(session, product.shop_id)
    skus = [
        {
            "id": s.id,
            "attrs": s.attrs,
            "price_fen": s.price_fen,
            "original_price_fen": s.original_price_fen,
            "stock": s.stock,
            "active": s.active,
        }
        for s in product.skus
    ]
    promos = promotions.product_promotions(
        session, product_id
    )  # campaign / subsidy prices, multi-buy, coupons
    shipping = pages_logistics.product_shipping(session, principal, product, region)
    held = (
        promotions.held_counts(session, principal.user_id, [c.id for c in promos.coupons])
        if principal
        else {}
    )
    return render(
        request,
        session,
        principal,
        "product.html",
        product=product,
        shop=shop,
        skus=skus,
        q="",
        promos=promos,
        held=held,
        shipping=shipping,
    )


@router.get("/shop/{shop_id}", response_class=HTMLResponse)
def shop_page(
    request: Request,
    shop_id: PathId,
    page: PageNo = 1,
    sort: Sort = "default",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    shop = shops.shop_view(session, shop_id, principal)
    sort = _sort(sort)
    result = catalog.list_listed(session, _params(page), shop_id=shop_id, sort=sort)
    return render(
        request,
        session,
        principal,
        "shop.html",
        shop=shop,
        result=result,
        sorts=SORTS,
        sort=sort,
        base=f"/shop/{shop_id}",
        query={"sort": sort if sort != "default" else ""},
    )

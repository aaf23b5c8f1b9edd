"""What a buyer discovers goods with: the home feed (推荐 · 直播广场 · 短视频), search with facets and
sorts, category and shop shelves (货架) and the mall home (商城). Every list logs what it showed
(impressions with positions) through the feed's recorder."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.auth import Principal, PublicAccess
from laotie.core.db import Database
from laotie.core.http import PathId, get_session
from laotie.core.money import parse_hundredths
from laotie.core.pagination import PageParams
from laotie.feed import service as feed
from laotie.feed.schemas import TAB_LABELS, FeedPage
from laotie.live import service as live
from laotie.search import service as search
from laotie.search.schemas import BAND_LABELS, SORT_LABELS, SORTS, Filters, SearchResult
from laotie.shops import service as shops
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.video import service as video
from laotie.web.rendering import FLASH_COOKIE, PageRoute, env, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 20
STRIP_SIZE = 8
PageNo = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=1000)]
Word = Annotated[str, Query(max_length=30)]
Yuan = Annotated[str, Query(max_length=12)]
Flag = Annotated[str, Query(max_length=5)]


def _yuan(value: str) -> int | None:
    """ "12.5" -> 1250 fen; anything else (empty, negative, words) -> no bound."""
    fen = parse_hundredths(value)
    return fen if fen is not None and fen <= 10**11 else None


def _filters(
    category_id: int | None,
    shop_id: int | None,
    low: str,
    high: str,
    free: str,
    later: str,
    stock: str,
    band: str,
) -> Filters:
    return Filters(
        category_id=category_id,
        shop_id=shop_id,
        price_min_fen=_yuan(low),
        price_max_fen=_yuan(high),
        free_shipping=free == "1",
        pay_later=later == "1",
        in_stock=stock == "1",
        shop_band=band if band in BAND_LABELS else None,  # type: ignore[arg-type]
    )


def _query(result: SearchResult, **kept: Any) -> dict[str, Any]:
    """The query string that keeps the current filters (for sorts, facets and the pager)."""
    return {k: v for k, v in kept.items() if v not in (None, "", 0, False)}


def _log(principal: Principal | None, surface: str, result: SearchResult) -> None:
    feed.record_hits(surface, result.items, result.offset, principal.user_id if principal else None)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    tab: Word = "recommend",
    page: PageNo = 1,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    tab = tab if tab in TAB_LABELS else "recommend"
    if principal is None and FLASH_COOKIE not in request.cookies:
        # A visitor's home page is the same for every visitor: built once per HOME_TTL, one build at
        # a time, and each view still logs its impressions (the feed's exposure counts views).
        cache = catalog.read_cache_for(request.app.state.db)
        key = f"home|{tab}|{page}"
        shared = cache.kept_value(key)
        if shared is None:
            with _home_building:
                shared = cache.value(key, lambda: _visitor_home(session, tab, page), ttl=HOME_TTL)
        feed.record_shown(shared.stream, None)
        return HTMLResponse(shared.html)
    stream = feed.feed(session, principal, tab, PAGE_SIZE, min((page - 1) * PAGE_SIZE, 200))
    return render(
        request, session, principal, "discovery/home.html", **_home_context(session, stream, tab, page)
    )


def kept_visitor_home(db: Database) -> bytes | None:
    """The visitor's first home page if one is kept (``web.fast_reads`` answers it on the event loop),
    its impressions logged for this view; ``None`` if it must be built (the route builds it)."""
    shared = catalog.read_cache_for(db).kept_value("home|recommend|1")
    if not isinstance(shared, _VisitorHome):
        return None
    feed.record_shown(shared.stream, None)
    return shared.html


# The feed's candidates come from the search index (kept by the outbox after each commit, so the
# home feed already trails the catalogue by that lag); ranking them reads every listed product's
# document, a second or more at 10,000 products: per view, that was the home page's whole cost.
HOME_TTL = 5.0
_home_building = threading.Lock()  # one build at a time: the others wait for it instead of repeating it


@dataclass(frozen=True, slots=True)
class _VisitorHome:
    stream: FeedPage
    html: bytes


def _visitor_home(session: Session, tab: str, page: int) -> _VisitorHome:
    stream = feed.feed(session, None, tab, PAGE_SIZE, min((page - 1) * PAGE_SIZE, 200), record=False)
    here = SimpleNamespace(url=SimpleNamespace(path="/"))  # all the template reads of the request
    html = _HOME_TEMPLATE.render(
        request=here,
        flash=None,
        me=None,
        principal=None,
        unread=0,
        **_home_context(session, stream, tab, page),
    )
    return _VisitorHome(stream, html.encode())


def _home_context(session: Session, stream: FeedPage, tab: str, page: int) -> dict[str, Any]:
    first = tab == "recommend" and page == 1
    # Live commerce above the stream, as in the app: rooms on air and the newest short videos.
    on_air = live.on_air_cards(session, STRIP_SIZE) if first else []
    videos = video.feed(session, PageParams(limit=STRIP_SIZE, offset=0)).items if first else []
    return {
        "stream": stream,
        "tabs": TAB_LABELS,
        "tab": tab,
        "page": page,
        "categories": search.category_roots(session),
        "hot": search.hot_searches(session, 8),
        "on_air": on_air,
        "videos": videos,
    }


_HOME_TEMPLATE = env.overlay(auto_reload=False).get_template("discovery/home.html")


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Text = "",
    type: Word = "product",
    sort: Word = "relevance",
    page: PageNo = 1,
    cat: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    low: Yuan = "",
    high: Yuan = "",
    free: Flag = "",
    later: Flag = "",
    stock: Flag = "",
    band: Word = "",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    q = q.strip()[:100]
    sort = sort if sort in SORTS else "relevance"
    context: dict[str, Any] = {"q": q, "type": type, "hot": search.hot_searches(session, 10)}
    if type in ("live", "video"):
        content = search.search_content(session, q, type, 40)  # type: ignore[arg-type]
        return render(request, session, principal, "discovery/results.html", content=content, **context)
    chosen = _filters(cat, None, low, high, free, later, stock, band)
    if cat is not None:
        search.category_trail(session, cat)  # CATEGORY_NOT_FOUND for an unknown one
    result = search.search_products(session, q, chosen, sort, PAGE_SIZE, min((page - 1) * PAGE_SIZE, 10_000))
    _log(principal, "search", result)
    kept = {
        "q": q,
        "cat": cat,
        "low": low,
        "high": high,
        "free": free,
        "later": later,
        "stock": stock,
        "band": band,
    }
    return render(
        request,
        session,
        principal,
        "discovery/results.html",
        result=result,
        sort=sort,
        sorts=SORT_LABELS,
        kept=_query(result, **kept),
        with_sort=_query(result, **kept, sort=sort if sort != "relevance" else ""),
        bands=BAND_LABELS,
        trail=search.category_trail(session, cat) if cat else [],
        base="/search",
        **context,
    )


def _shelf(
    request: Request,
    session: Session,
    principal: Principal | None,
    *,
    base: str,
    surface: str,
    filters: Filters,
    sort: str,
    page: int,
    kept: dict[str, Any],
    **context: Any,
) -> HTMLResponse:
    sort = sort if sort in SORTS else "relevance"
    result = search.browse(session, filters, sort, PAGE_SIZE, min((page - 1) * PAGE_SIZE, 10_000))
    _log(principal, surface, result)
    return render(
        request,
        session,
        principal,
        "discovery/shelf.html",
        result=result,
        sort=sort,
        sorts=SORT_LABELS,
        base=base,
        kept=_query(result, **kept),
        with_sort=_query(result, **kept, sort=sort if sort != "relevance" else ""),
        bands=BAND_LABELS,
        **context,
    )


@router.get("/c/{category_id}", response_class=HTMLResponse)
def category_page(
    request: Request,
    category_id: PathId,
    sort: Word = "relevance",
    page: PageNo = 1,
    low: Yuan = "",
    high: Yuan = "",
    free: Flag = "",
    later: Flag = "",
    stock: Flag = "",
    band: Word = "",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    trail = search.category_trail(session, category_id)
    if not trail:
        from laotie.categories import errors as category_errors

        raise category_errors.CATEGORY_NOT_FOUND(category_id=category_id)
    children = search.category_children(session, category_id)
    siblings = search.category_children(session, trail[-2][0] if len(trail) > 1 else None)
    return _shelf(
        request,
        session,
        principal,
        base=f"/c/{category_id}",
        surface="category",
        filters=_filters(category_id, None, low, high, free, later, stock, band),
        sort=sort,
        page=page,
        kept={"low": low, "high": high, "free": free, "later": later, "stock": stock, "band": band},
        heading=trail[-1][1],
        trail=trail,
        chips=children or siblings,
        current=category_id,
        roots=search.category_roots(session),
    )


@router.get("/shop/{shop_id}", response_class=HTMLResponse)
def shop_page(
    request: Request,
    shop_id: PathId,
    sort: Word = "relevance",
    page: PageNo = 1,
    cat: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    shop = shops.shop_view(session, shop_id, principal)
    shelves = search.browse(session, Filters(shop_id=shop_id), limit=1)
    return _shelf(
        request,
        session,
        principal,
        base=f"/shop/{shop_id}",
        surface="shop",
        filters=Filters(shop_id=shop_id, category_id=cat),
        sort=sort,
        page=page,
        kept={"cat": cat},
        heading=shop.name,
        shop=shop,
        shop_shelves=shelves.facets.categories,
        current=cat,
        fans=social.fans(session, TargetKind.SHOP, shop_id, principal),  # 关注 and the fan count
    )


@router.get("/mall", response_class=HTMLResponse)
def mall(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    home_page = feed.mall_home(session)
    viewer = principal.user_id if principal else None
    for shelf in home_page.campaigns:
        feed.record_hits("mall", shelf.items, 0, viewer)
    feed.record_hits("mall", [s.product for s in home_page.subsidies], 0, viewer)
    feed.record_hits("mall", home_page.new_merchants, 0, viewer)
    feed.record_hits("mall", home_page.hot, 0, viewer)
    return render(request, session, principal, "discovery/mall.html", mall=home_page)

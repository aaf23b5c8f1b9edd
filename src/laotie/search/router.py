"""Search over HTTP: products with filters and facets, live sessions and videos, suggestions as you
type, hot searches. The index is rebuilt with ``laotie search reindex``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from laotie.core.auth import Principal, PublicAccess
from laotie.core.http import DbSession
from laotie.core.ids import MAX_ID
from laotie.search import service
from laotie.search.schemas import (
    MAX_OFFSET,
    MAX_PRICE_FEN,
    ContentKind,
    ContentResult,
    Filters,
    HotSearch,
    SearchResult,
    ShopBand,
    SuggestResult,
)

router = APIRouter(prefix="/api/v1/search", tags=["search"])

Q = Annotated[
    str,
    Query(max_length=1000, description="what to look for (Chinese, pinyin, initials); empty browses"),
]
Price = Annotated[int | None, Query(ge=0, le=MAX_PRICE_FEN, description="fen")]
Flag = Annotated[bool, Query()]


def filters(
    category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    price_min_fen: Price = None,
    price_max_fen: Price = None,
    free_shipping: Flag = False,
    pay_later: Flag = False,
    in_stock: Flag = False,
    shop_band: ShopBand | None = None,
) -> Filters:
    return Filters(
        category_id=category_id,
        shop_id=shop_id,
        price_min_fen=price_min_fen,
        price_max_fen=price_max_fen,
        free_shipping=free_shipping,
        pay_later=pay_later,
        in_stock=in_stock,
        shop_band=shop_band,
    )


@router.get("/products", response_model=SearchResult)
def search_products(
    session: DbSession,
    q: Q = "",
    sort: Annotated[
        str, Query(max_length=30, description="relevance, sales, price_asc, price_desc or new")
    ] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    chosen: Filters = Depends(filters),
    _: Principal | None = PublicAccess,
) -> SearchResult:
    """Products for a query, ranked (relevance × product score, price competitiveness, sales, shop
    DSR, conversion, consequences) or sorted, with facets, "did you mean" and corrections."""
    return service.search_products(session, q, chosen, sort, limit, offset)


@router.get("/content", response_model=ContentResult)
def search_content(
    session: DbSession,
    kind: ContentKind,
    q: Q = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    _: Principal | None = PublicAccess,
) -> ContentResult:
    """Live sessions on air (``kind=live``) or short videos (``kind=video``) matching ``q``."""
    return service.search_content(session, q, kind, limit)


@router.get("/suggest", response_model=SuggestResult)
def suggest(
    session: DbSession,
    q: Annotated[str, Query(max_length=1000)] = "",
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
    _: Principal | None = PublicAccess,
) -> SuggestResult:
    """Suggestions as you type: what others searched, then known words (pinyin too)."""
    return service.suggest(session, q, limit)


@router.get("/hot", response_model=list[HotSearch])
def hot(
    session: DbSession, limit: Annotated[int, Query(ge=1, le=50)] = 10, _: Principal | None = PublicAccess
) -> list[HotSearch]:
    """热搜: the week's most searched queries that found goods."""
    return service.hot_searches(session, limit)

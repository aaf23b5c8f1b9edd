"""The feed and the mall over HTTP: public, personal when logged in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from laotie.core.auth import Principal, PublicAccess
from laotie.core.http import DbSession
from laotie.feed import service
from laotie.feed.schemas import FeedPage, MallHome, Tab

router = APIRouter(prefix="/api/v1", tags=["feed"])


@router.get("/feed", response_model=FeedPage)
def feed(
    session: DbSession,
    tab: Tab = "recommend",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    offset: Annotated[int, Query(ge=0, le=200)] = 0,
    principal: Principal | None = PublicAccess,
) -> FeedPage:
    """首页推荐 (``recommend``), 直播广场 (``live``) or 短视频 (``video``), ranked by the platform's
    traffic policy; each item says why it is shown (``reasons``: 为什么推荐给我)."""
    return service.feed(session, principal, tab, limit, offset)


@router.get("/mall", response_model=MallHome)
def mall(session: DbSession, _: Principal | None = PublicAccess) -> MallHome:
    """商城首页: categories, campaigns on now, 百亿补贴, new merchants' goods, best sellers."""
    return service.mall_home(session)

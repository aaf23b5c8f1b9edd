"""Governance console: the shop-application and product review queues with approve / reject."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.categories import service as categories
from laotie.core.auth import Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.moderation import service as moderation
from laotie.shops import service as shops
from laotie.web.pages_moderation import hit_context
from laotie.web.rendering import PageRoute, page_url, redirect, render

router = APIRouter(prefix="/governance", include_in_schema=False, route_class=PageRoute)

Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
PAGE_SIZE = 20
Tab = Literal["shops", "products"]


def _queue_page(
    request: Request,
    session: Session,
    principal: Principal,
    tab: Tab,
    page: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    shop_queue = shops.review_queue(session, params if tab == "shops" else PageParams(limit=1))
    product_queue = catalog.review_queue(session, params if tab == "products" else PageParams(limit=1))
    category_paths: dict[int, list[str]] = {}
    if tab == "products":
        for p in product_queue.items:
            if p.category_id not in category_paths:
                category_paths[p.category_id] = categories.get_category(session, p.category_id).path
    shop_names = {p.shop_id: shops.get_shop(session, p.shop_id).name for p in product_queue.items}
    if tab == "shops":
        for s in shop_queue.items:
            category_paths.setdefault(
                s.main_category_id, categories.get_category(session, s.main_category_id).path
            )
    return render(
        request,
        session,
        principal,
        "governance/queue.html",
        status_code=status_code,
        tab=tab,
        shop_queue=shop_queue,
        product_queue=product_queue,
        category_paths=category_paths,
        shop_names=shop_names,
        base="/governance",
        query={"tab": tab},
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    tab: Tab = "shops",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    return _queue_page(request, session, principal, tab, page)


@router.get("/shops/{shop_id}", response_class=HTMLResponse)
def shop_review(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    detail = shops.review_detail(session, shop_id)
    hits = moderation.hits_for(session, "shop", [shop_id]).get(shop_id, [])
    return render(
        request, session, principal, "governance/shop.html", detail=detail, hits=hits, **hit_context()
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_review(
    request: Request,
    product_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    product = catalog.inspect_product(session, principal, product_id)
    return render(
        request,
        session,
        principal,
        "governance/product.html",
        product=product,
        shop=shops.get_shop(session, product.shop_id),
        category=categories.get_category(session, product.category_id),
        hits=moderation.hits_for(session, "product", [product_id]).get(product_id, []),
        **hit_context(),
    )


def _decide(
    request: Request,
    session: Session,
    principal: Principal,
    tab: Tab,
    run: Callable[[], object],
    done: str,
) -> HTMLResponse | RedirectResponse:
    try:
        run()
    except AppError as exc:
        session.rollback()
        return _queue_page(
            request, session, principal, tab, 1, error=exc.message("zh"), status_code=exc.status
        )
    session.commit()
    return redirect(page_url("/governance", tab=tab), done)


@router.post("/shops/{shop_id}/{decision}", response_model=None)
def decide_shop(
    request: Request,
    shop_id: PathId,
    decision: Literal["approve", "reject"],
    reason: Annotated[str, Form(max_length=500)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse | RedirectResponse:
    if decision == "approve":
        return _decide(
            request,
            session,
            principal,
            "shops",
            lambda: shops.approve(session, shop_id, principal, reason),
            "已通过开店申请",
        )
    return _decide(
        request,
        session,
        principal,
        "shops",
        lambda: shops.reject(session, shop_id, principal, reason),
        "已驳回开店申请",
    )


@router.post("/products/{product_id}/{decision}", response_model=None)
def decide_product(
    request: Request,
    product_id: PathId,
    decision: Literal["approve", "reject", "ban"],
    reason: Annotated[str, Form(max_length=500)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse | RedirectResponse:
    actions = {
        "approve": (lambda: catalog.approve(session, principal, product_id, reason), "商品已通过审核并上架"),
        "reject": (lambda: catalog.reject(session, principal, product_id, reason), "已驳回该商品"),
        "ban": (lambda: catalog.ban(session, principal, product_id, reason), "已封禁该商品"),
    }
    run, done = actions[decision]
    return _decide(request, session, principal, "products", run, done)

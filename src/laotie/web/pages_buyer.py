"""A product's page for buyers (the home feed, search and the shelves are in ``pages_discovery``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.categories import service as categories
from laotie.core.auth import Principal, PublicAccess
from laotie.core.http import PathId, get_session
from laotie.promotions import service as promotions
from laotie.scores import service as scores
from laotie.shops import service as shops
from laotie.web import pages_logistics
from laotie.web.rendering import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/p/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request,
    product_id: PathId,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    sq: Annotated[str, Query(max_length=60)] = "",
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
    # the guarantees the category's rules give (生鲜 and the like: no 七天无理由)
    exempt = categories.return_exemptions(session, [product.category_id]).get(product.category_id, False)
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
        return_exempt=exempt,
        dsr=scores.shop_scores(session, [shop.id])[shop.id],  # the shop's three DSR against its category
        sq=" ".join(sq.split()),  # the search that led here: an order placed from this page carries it
    )

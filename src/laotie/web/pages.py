"""The browser UI: buyer pages, the merchant console and the governance console.

Each area lives in its own module; this one gathers them under one router (``app.py`` includes it
and serves ``STATIC_DIR`` at ``/static``).
"""

from fastapi import APIRouter, Depends

from laotie.web import (
    pages_auth,
    pages_buyer,
    pages_cart,
    pages_checkout,
    pages_governance,
    pages_live,
    pages_merchant,
    pages_merchant_orders,
    pages_merchant_products,
    pages_orders,
)
from laotie.web.rendering import STATIC_DIR, same_origin

AREAS = (
    pages_auth,
    pages_buyer,
    pages_cart,
    pages_checkout,
    pages_orders,
    pages_merchant,
    pages_merchant_orders,
    pages_merchant_products,
    pages_governance,
    pages_live,
)
# Every page form post is checked for coming from our own pages (see ``same_origin``).
router = APIRouter(include_in_schema=False, dependencies=[Depends(same_origin)])
for area in AREAS:
    router.include_router(area.router)

__all__ = ["STATIC_DIR", "router"]

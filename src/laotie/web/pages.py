"""The browser UI: buyer pages, the merchant console and the governance console.

Each area lives in its own module; this one gathers them under one router (``app.py`` includes it
and serves ``STATIC_DIR`` at ``/static``).
"""

from fastapi import APIRouter, Depends

from laotie.web import (
    pages_aftersales,
    pages_alliance,
    pages_auth,
    pages_buyer,
    pages_cart,
    pages_checkout,
    pages_discovery,
    pages_governance,
    pages_governance_cases,
    pages_governance_integrity,
    pages_governance_merchant,
    pages_governance_public,
    pages_live,
    pages_logistics,
    pages_me,
    pages_merchant,
    pages_merchant_alliance,
    pages_merchant_funds,
    pages_merchant_orders,
    pages_merchant_products,
    pages_moderation,
    pages_orders,
    pages_promotions,
    pages_reviews,
    pages_scores,
    pages_social,
    pages_video,
    pages_video_upload,
)
from laotie.web.rendering import STATIC_DIR, same_origin

AREAS = (
    pages_aftersales,
    pages_auth,
    pages_cart,
    pages_checkout,
    pages_orders,
    pages_merchant,
    pages_merchant_funds,
    pages_merchant_orders,
    pages_merchant_products,
    pages_moderation,
    pages_governance,
    pages_promotions,
    pages_logistics,
    pages_video_upload,
    pages_video,
    pages_alliance,
    pages_social,
    pages_merchant_alliance,
    pages_live,
    pages_reviews,
    pages_scores,
    pages_governance_cases,
    pages_governance_merchant,
    pages_governance_public,
    pages_governance_integrity,
    pages_me,
)
# Every page form post is checked for coming from our own pages (see ``same_origin``).
router = APIRouter(include_in_schema=False, dependencies=[Depends(same_origin)])
for area in AREAS:
    router.include_router(area.router)
# The pages most visits are (home, search, shelves, a product's page), with the same check: tried
# before the few hundred routes of every other router (``app.py``); no other route matches their paths.
hot_router = APIRouter(include_in_schema=False, dependencies=[Depends(same_origin)])
for area in (pages_buyer, pages_discovery):
    hot_router.include_router(area.router)

__all__ = ["STATIC_DIR", "hot_router", "router"]

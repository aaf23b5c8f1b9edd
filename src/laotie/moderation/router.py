"""Moderation HTTP API for governance staff: the recorded hits, and their review."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from laotie.core.auth import Principal, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.core.pagination import Page, PageParams, page_params
from laotie.moderation import service
from laotie.moderation.schemas import HitOut, HitReviewIn, HitStatus, Surface

governance_router = APIRouter(prefix="/api/v1/governance/moderation", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)


@governance_router.get("/hits", response_model=Page[HitOut])
def hits(
    session: DbSession,
    status: HitStatus | None = None,
    surface: Surface | None = None,
    params: PageParams = Depends(page_params),
    staff: Principal = Staff,
) -> Page[HitOut]:
    return service.hits(session, staff, params, status=status, surface=surface)


@governance_router.get("/hits/{hit_id}", response_model=HitOut)
def hit(session: DbSession, hit_id: PathId, staff: Principal = Staff) -> HitOut:
    return service.get_hit(session, staff, hit_id)


@governance_router.post("/hits/{hit_id}/review", response_model=HitOut)
def review(session: DbSession, hit_id: PathId, body: HitReviewIn, staff: Principal = Staff) -> HitOut:
    return service.review_hit(session, staff, hit_id, body)

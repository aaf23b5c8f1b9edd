from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from laotie.core.auth import AnyUser, Principal, PublicAccess
from laotie.core.http import DbSession, PathId
from laotie.core.pagination import Page, PageParams, page_params
from laotie.social import service
from laotie.social.schemas import FanCountOut, FollowOut, InboxOut, NotificationOut, TargetKind

router = APIRouter(prefix="/api/v1/social", tags=["social"])


class MarkedOut(BaseModel):
    marked: int


@router.post("/follows/{target_kind}/{target_id}", response_model=FollowOut, status_code=201)
def follow(
    session: DbSession, target_kind: TargetKind, target_id: PathId, principal: Principal = AnyUser
) -> FollowOut:
    """Follow a shop or an anchor. A second follow of the same target is refused (ALREADY_FOLLOWING)."""
    return service.follow(session, principal, target_kind, target_id)


@router.delete("/follows/{target_kind}/{target_id}", status_code=204)
def unfollow(
    session: DbSession, target_kind: TargetKind, target_id: PathId, principal: Principal = AnyUser
) -> Response:
    """Unfollow; idempotent (204 also when not following)."""
    service.unfollow(session, principal, target_kind, target_id)
    return Response(status_code=204)


@router.get("/follows", response_model=Page[FollowOut])
def my_follows(
    session: DbSession, params: PageParams = Depends(page_params), principal: Principal = AnyUser
) -> Page[FollowOut]:
    return service.my_follows(session, principal, params)


@router.get("/fans/{target_kind}/{target_id}", response_model=FanCountOut)
def fans(
    session: DbSession, target_kind: TargetKind, target_id: PathId, principal: Principal | None = PublicAccess
) -> FanCountOut:
    return service.fans(session, target_kind, target_id, principal)


@router.get("/notifications", response_model=InboxOut)
def notifications(
    session: DbSession,
    unread_only: bool = False,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> InboxOut:
    return service.inbox(session, principal, params, unread_only)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(session: DbSession, notification_id: PathId, principal: Principal = AnyUser) -> NotificationOut:
    return service.mark_read(session, principal, notification_id)


@router.post("/notifications/read-all", response_model=MarkedOut)
def mark_all_read(session: DbSession, principal: Principal = AnyUser) -> MarkedOut:
    marked = service.mark_all_read(session, principal)
    return MarkedOut(marked=marked)

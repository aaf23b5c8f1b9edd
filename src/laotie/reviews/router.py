"""Reviews over HTTP: buyers review what reached them, follow up and mark or report others' reviews;
shops reply; anyone reads a product's reviews and summary; governance staff release held text,
remove reviews and decide reports. There is no route that edits or deletes a review for a shop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.request_body import BodyLimit, body_limit
from laotie.reviews import service
from laotie.reviews.schemas import (
    EventOut,
    FollowupIn,
    HelpfulOut,
    PendingLine,
    PhotoOut,
    Rating,
    ReleaseIn,
    RemoveIn,
    ReplyIn,
    ReportIn,
    ReportOut,
    ReviewIn,
    ReviewOut,
    Sort,
    Summary,
)

router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])
governance_router = APIRouter(prefix="/api/v1/governance/reviews", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
Stars = Annotated[int | None, Query(ge=1, le=5, description="only this many 描述相符 stars")]


@router.post("/photos", response_model=PhotoOut, status_code=201, openapi_extra=body_limit(BodyLimit.IMAGE))
def upload_photo(
    session: DbSession,
    request: Request,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")],
    principal: Principal = AnyUser,
) -> PhotoOut:
    """Upload a photo first, then name it in ``photo_ids`` of a review or follow-up (at most 9)."""
    limit = request.app.state.settings.max_upload_bytes
    return service.upload_photo(session, request.app.state.storage, principal, file.file.read(limit + 1))


@router.get("/photos/{photo_id}", response_class=Response)
def photo(
    session: DbSession,
    photo_id: PathId,
    request: Request,
    thumb: bool = False,
    principal: Principal | None = PublicAccess,
) -> Response:
    key, content_type, public = service.photo_file(session, principal, photo_id, thumb)
    cache = "public, max-age=86400" if public else "private, no-store"
    data = request.app.state.storage.read(key)
    return Response(
        data, media_type=content_type, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    )


@router.post("", response_model=ReviewOut, status_code=201)
def create_review(session: DbSession, body: ReviewIn, principal: Principal = AnyUser) -> ReviewOut:
    """评价 an order line that reached you: three star ratings, text, photos, anonymous or not."""
    return service.create_review(session, principal, body)


@router.get("/mine", response_model=Page[ReviewOut])
def mine(
    session: DbSession, params: PageParams = Depends(page_params), principal: Principal = AnyUser
) -> Page[ReviewOut]:
    """我的评价, with the state of each (shown, held for review, removed)."""
    return service.my_reviews(session, principal, params)


@router.get("/pending", response_model=list[PendingLine])
def pending(session: DbSession, principal: Principal = AnyUser) -> list[PendingLine]:
    """待评价: what reached you and has no review yet."""
    return service.pending_lines(session, principal)


@router.get("/products/{product_id}", response_model=Page[ReviewOut])
def product_reviews(
    session: DbSession,
    product_id: PathId,
    sort: Sort = Sort.NEWEST,
    rating: Rating | None = None,
    stars: Stars = None,
    with_photos: bool = False,
    with_followup: bool = False,
    tag: Annotated[str | None, Query(max_length=20)] = None,
    params: PageParams = Depends(page_params),
    _: Principal | None = PublicAccess,
) -> Page[ReviewOut]:
    return service.product_reviews(
        session,
        product_id,
        params,
        sort=sort,
        rating=rating,
        stars=stars,
        with_photos=with_photos,
        with_followup=with_followup,
        tag=tag,
    )


@router.get("/products/{product_id}/summary", response_model=Summary)
def product_summary(session: DbSession, product_id: PathId, _: Principal | None = PublicAccess) -> Summary:
    """Average 描述相符 stars, count, good rate, star counts and tag counts of the shown reviews."""
    return service.summary(session, product_id)


@router.get("/shops/{shop_id}", response_model=Page[ReviewOut])
def shop_reviews(
    session: DbSession,
    shop_id: PathId,
    rating: Rating | None = None,
    stars: Stars = None,
    unreplied: bool = False,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[ReviewOut]:
    """评价管理: the shop's reviews for its members."""
    return service.shop_reviews(
        session, principal, shop_id, params, rating=rating, stars=stars, unreplied=unreplied
    )


@router.get("/{review_id}", response_model=ReviewOut)
def get_review(
    session: DbSession, review_id: PathId, principal: Principal | None = PublicAccess
) -> ReviewOut:
    return service.get_review(session, principal, review_id)


@router.post("/{review_id}/followup", response_model=ReviewOut)
def followup(
    session: DbSession, review_id: PathId, body: FollowupIn, principal: Principal = AnyUser
) -> ReviewOut:
    """追评: once, within 90 days of the review."""
    return service.add_followup(session, principal, review_id, body)


@router.post("/{review_id}/reply", response_model=ReviewOut)
def reply(session: DbSession, review_id: PathId, body: ReplyIn, principal: Principal = AnyUser) -> ReviewOut:
    """The reviewed shop's one reply to the review."""
    return service.reply(session, principal, review_id, body)


@router.post("/{review_id}/followup/reply", response_model=ReviewOut)
def followup_reply(
    session: DbSession, review_id: PathId, body: ReplyIn, principal: Principal = AnyUser
) -> ReviewOut:
    """The reviewed shop's one reply to the follow-up."""
    return service.reply(session, principal, review_id, body, to_followup=True)


@router.post("/{review_id}/helpful", response_model=HelpfulOut)
def helpful(session: DbSession, review_id: PathId, principal: Principal = AnyUser) -> HelpfulOut:
    """有用: once per person, not on your own review."""
    return service.mark_helpful(session, principal, review_id)


@router.post("/{review_id}/reports", status_code=201)
def report(
    session: DbSession, review_id: PathId, body: ReportIn, principal: Principal = AnyUser
) -> dict[str, int]:
    """举报 a review for staff to look at."""
    report_id = service.report(session, principal, review_id, body)
    return {"report_id": report_id}


@governance_router.get("/held", response_model=Page[ReviewOut])
def held(
    session: DbSession, params: PageParams = Depends(page_params), _: Principal = Staff
) -> Page[ReviewOut]:
    """Reviews, follow-ups and replies screening held (diversion, 好评返现)."""
    return service.held(session, params)


@governance_router.get("/reports", response_model=Page[ReportOut])
def reports(
    session: DbSession, params: PageParams = Depends(page_params), _: Principal = Staff
) -> Page[ReportOut]:
    return service.open_reports(session, params)


@governance_router.post("/reports/{report_id}/dismiss", status_code=204)
def dismiss(session: DbSession, report_id: PathId, principal: Principal = Staff) -> Response:
    service.dismiss_report(session, principal, report_id)
    return Response(status_code=204)


@governance_router.post("/{review_id}/remove", status_code=204)
def remove(session: DbSession, review_id: PathId, body: RemoveIn, principal: Principal = Staff) -> Response:
    """Take a review down: it stops counting; open reports on it are upheld."""
    service.remove(session, review_id, body.reason.strip() or "平台删除", principal.user_id)
    return Response(status_code=204)


@governance_router.post("/{review_id}/release", response_model=ReviewOut)
def release(
    session: DbSession, review_id: PathId, body: ReleaseIn, principal: Principal = Staff
) -> ReviewOut:
    return service.release(session, principal, review_id, body.part)


@governance_router.get("/{review_id}/trail", response_model=list[EventOut])
def trail(session: DbSession, review_id: PathId, _: Principal = Staff) -> list[EventOut]:
    return service.trail(session, review_id)

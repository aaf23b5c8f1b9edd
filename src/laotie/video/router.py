from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from laotie.core import uow
from laotie.core.auth import AnyUser, Principal, PublicAccess
from laotie.core.errors import VALIDATION_ERROR
from laotie.core.http import DbSession, PathId
from laotie.core.ids import MAX_ID
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.request_body import BodyLimit, body_limit
from laotie.core.storage import FileStorage
from laotie.video import errors, links, service
from laotie.video.schemas import (
    CommentIn,
    CommentOut,
    LikeOut,
    ProductIds,
    VideoCard,
    VideoDetail,
    VideoLinkIn,
    VideoMeta,
    ViewsOut,
)

router = APIRouter(prefix="/api/v1/videos", tags=["video"])
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class ProductsIn(BaseModel):
    product_ids: ProductIds = Field(default_factory=list)


@router.get("", response_model=Page[VideoCard])
def video_feed(
    session: DbSession,
    params: PageParams = Depends(page_params),
    author_id: OptionalId = None,
    shop_id: OptionalId = None,
    _: object = PublicAccess,
) -> Page[VideoCard]:
    return service.feed(session, params, author_id=author_id, shop_id=shop_id)


@router.post("", response_model=VideoDetail, status_code=201, openapi_extra=body_limit(BodyLimit.VIDEO))
def upload_video(
    session: DbSession,
    request: Request,
    file: UploadFile = File(description="an MP4 (H.264, H.265 or AV1)"),
    title: str = Form(max_length=200),
    description: str = Form(default="", max_length=2000),
    shop_id: int | None = Form(default=None),
    product_ids: list[int] = Form(default_factory=list),
    principal: Principal = AnyUser,
) -> VideoDetail:
    """Upload a short video (multipart). Checked with ffprobe; its cover frame is cut at 1 s."""
    try:
        meta = VideoMeta(title=title, description=description, shop_id=shop_id, product_ids=product_ids)
    except ValidationError as exc:
        raise VALIDATION_ERROR(
            errors=[{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        ) from None
    storage: FileStorage = request.app.state.storage
    limit: int = request.app.state.settings.video_max_bytes
    data = file.file.read(limit + 1)
    out, keys = service.upload(session, storage, principal, meta, data)
    for key in keys:
        uow.if_not_committed(session, partial(storage.delete, key))
    return out


@router.post("/link", response_model=VideoDetail, status_code=201)
def link_video(session: DbSession, body: VideoLinkIn, principal: Principal = AnyUser) -> VideoDetail:
    """Publish a video hosted elsewhere (an http(s) URL of an .mp4)."""
    return service.link(session, principal, body)


@router.get("/{video_id}", response_model=VideoDetail)
def video_detail(
    session: DbSession, video_id: PathId, principal: Principal | None = PublicAccess
) -> VideoDetail:
    return service.detail(session, video_id, principal)


@router.put("/{video_id}/products", response_model=VideoDetail)
def set_products(
    session: DbSession, video_id: PathId, body: ProductsIn, principal: Principal = AnyUser
) -> VideoDetail:
    return service.set_products(session, principal, video_id, body.product_ids)


@router.delete("/{video_id}", status_code=204)
def remove_video(session: DbSession, video_id: PathId, principal: Principal = AnyUser) -> Response:
    service.remove(session, principal, video_id)
    return Response(status_code=204)


MEDIA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The video file", "content": {"video/mp4": {}}},
    307: {"description": "A linked video: its address elsewhere"},
}
COVER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The cover frame", "content": {"image/jpeg": {}}}
}


def _stored(request: Request, key: str, media_type: str) -> Response:
    storage: FileStorage = request.app.state.storage
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    path = storage.path(key)
    if path is not None:
        return FileResponse(path, media_type=media_type, headers=headers)
    try:
        return Response(storage.read(key), media_type=media_type, headers=headers)
    except (FileNotFoundError, ValueError):
        raise errors.VIDEO_NOT_FOUND() from None


@router.get("/{video_id}/media", response_model=None, response_class=Response, responses=MEDIA_RESPONSES)
def media(session: DbSession, video_id: PathId, request: Request, _: object = PublicAccess) -> Response:
    found = service.media_file(session, video_id)
    session.close()
    if found.key is None:
        # Only to an allowed https host, checked again now (never loopback, never an open redirect).
        return RedirectResponse(links.redirect_target(found.url), status_code=307)
    return _stored(request, found.key, "video/mp4")


@router.get("/{video_id}/cover", response_model=None, response_class=Response, responses=COVER_RESPONSES)
def cover(session: DbSession, video_id: PathId, request: Request, _: object = PublicAccess) -> Response:
    key = service.cover_key(session, video_id)
    session.close()
    return _stored(request, key, "image/jpeg")


@router.post("/{video_id}/views", response_model=ViewsOut)
def add_view(session: DbSession, video_id: PathId, _: object = PublicAccess) -> ViewsOut:
    return service.add_view(session, video_id)


@router.put("/{video_id}/like", response_model=LikeOut)
def like(session: DbSession, video_id: PathId, principal: Principal = AnyUser) -> LikeOut:
    return service.like(session, principal, video_id)


@router.delete("/{video_id}/like", response_model=LikeOut)
def unlike(session: DbSession, video_id: PathId, principal: Principal = AnyUser) -> LikeOut:
    return service.unlike(session, principal, video_id)


@router.get("/{video_id}/comments", response_model=Page[CommentOut])
def comments(
    session: DbSession,
    video_id: PathId,
    params: PageParams = Depends(page_params),
    principal: Principal | None = PublicAccess,
) -> Page[CommentOut]:
    return service.comments(session, video_id, params, principal.user_id if principal else None)


@router.post("/{video_id}/comments", response_model=CommentOut, status_code=201)
def comment(
    session: DbSession, video_id: PathId, body: CommentIn, principal: Principal = AnyUser
) -> CommentOut:
    return service.comment(session, principal, video_id, body.body)

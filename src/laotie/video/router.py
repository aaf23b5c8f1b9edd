from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from laotie.core.auth import AnyUser, Principal, PublicAccess
from laotie.core.errors import VALIDATION_ERROR
from laotie.core.http import PathId, get_session
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
    params: PageParams = Depends(page_params),
    author_id: OptionalId = None,
    shop_id: OptionalId = None,
    session: Session = Depends(get_session),
    _: object = PublicAccess,
) -> Page[VideoCard]:
    return service.feed(session, params, author_id=author_id, shop_id=shop_id)


@router.post("", response_model=VideoDetail, status_code=201, openapi_extra=body_limit(BodyLimit.VIDEO))
def upload_video(
    request: Request,
    file: UploadFile = File(description="an MP4 (H.264, H.265 or AV1)"),
    title: str = Form(max_length=200),
    description: str = Form(default="", max_length=2000),
    shop_id: int | None = Form(default=None),
    product_ids: list[int] = Form(default_factory=list),
    principal: Principal = AnyUser,
    session: Session = Depends(get_session),
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
    try:
        session.commit()
    except Exception:
        for key in keys:
            storage.delete(key)
        raise
    return out


@router.post("/link", response_model=VideoDetail, status_code=201)
def link_video(
    body: VideoLinkIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> VideoDetail:
    """Publish a video hosted elsewhere (an http(s) URL of an .mp4)."""
    out = service.link(session, principal, body)
    session.commit()
    return out


@router.get("/{video_id}", response_model=VideoDetail)
def video_detail(
    video_id: PathId, session: Session = Depends(get_session), principal: Principal | None = PublicAccess
) -> VideoDetail:
    return service.detail(session, video_id, principal)


@router.put("/{video_id}/products", response_model=VideoDetail)
def set_products(
    video_id: PathId,
    body: ProductsIn,
    principal: Principal = AnyUser,
    session: Session = Depends(get_session),
) -> VideoDetail:
    out = service.set_products(session, principal, video_id, body.product_ids)
    session.commit()
    return out


@router.delete("/{video_id}", status_code=204)
def remove_video(
    video_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> Response:
    service.remove(session, principal, video_id)
    session.commit()
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
def media(
    video_id: PathId, request: Request, session: Session = Depends(get_session), _: object = PublicAccess
) -> Response:
    found = service.media_file(session, video_id)
    session.close()
    if found.key is None:
        # Only to an allowed https host, checked again now (never loopback, never an open redirect).
        return RedirectResponse(links.redirect_target(found.url), status_code=307)
    return _stored(request, found.key, "video/mp4")


@router.get("/{video_id}/cover", response_model=None, response_class=Response, responses=COVER_RESPONSES)
def cover(
    video_id: PathId, request: Request, session: Session = Depends(get_session), _: object = PublicAccess
) -> Response:
    key = service.cover_key(session, video_id)
    session.close()
    return _stored(request, key, "image/jpeg")


@router.post("/{video_id}/views", response_model=ViewsOut)
def add_view(video_id: PathId, session: Session = Depends(get_session), _: object = PublicAccess) -> ViewsOut:
    out = service.add_view(session, video_id)
    session.commit()
    return out


@router.put("/{video_id}/like", response_model=LikeOut)
def like(
    video_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> LikeOut:
    out = service.like(session, principal, video_id)
    session.commit()
    return out


@router.delete("/{video_id}/like", response_model=LikeOut)
def unlike(
    video_id: PathId, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> LikeOut:
    out = service.unlike(session, principal, video_id)
    session.commit()
    return out


@router.get("/{video_id}/comments", response_model=Page[CommentOut])
def comments(
    video_id: PathId,
    params: PageParams = Depends(page_params),
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> Page[CommentOut]:
    return service.comments(session, video_id, params, principal.user_id if principal else None)


@router.post("/{video_id}/comments", response_model=CommentOut, status_code=201)
def comment(
    video_id: PathId, body: CommentIn, principal: Principal = AnyUser, session: Session = Depends(get_session)
) -> CommentOut:
    out = service.comment(session, principal, video_id, body.body)
    session.commit()
    return out

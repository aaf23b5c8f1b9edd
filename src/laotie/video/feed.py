"""Reading videos: the feed, one video with its products, its files, and attribution checks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.video import errors
from laotie.video.models import Video, VideoLike, VideoProduct, VideoStatus
from laotie.video.schemas import VideoCard, VideoDetail


def load_video(session: Session, video_id: int, viewer_id: int | None = None) -> Video:
    """A published video; a held one (its caption awaits moderation) only for its author."""
    video = session.get(Video, video_id)
    if video is None:
        raise errors.VIDEO_NOT_FOUND(video_id=video_id)
    held_for_author = (
        video.status == VideoStatus.HELD and viewer_id is not None and viewer_id == video.author_id
    )
    if video.status != VideoStatus.PUBLISHED and not held_for_author:
        raise errors.VIDEO_NOT_FOUND(video_id=video_id)
    return video


def media_url(video: Video) -> str:
    return f"/api/v1/videos/{video.id}/media"


def _card(session: Session, video: Video) -> VideoCard:
    creator = video.shop_id is None and affiliate.is_creator(session, video.author_id)
    return VideoCard(
        id=video.id,
        title=video.title,
        author_id=video.author_id,
        author_name=accounts.get_user_out(session, video.author_id).nickname,
        shop_id=video.shop_id,
        creator_id=video.author_id if creator else None,
        cover_url=f"/api/v1/videos/{video.id}/cover" if video.cover_key else None,
        media_url=media_url(video),
        duration_ms=video.duration_ms,
        views=video.views,
        likes=video.likes,
        comments=video.comments,
        created_at=video.created_at,
    )


def product_ids(session: Session, video_id: int) -> list[int]:
    return list(
        session.scalars(
            select(VideoProduct.product_id)
            .where(VideoProduct.video_id == video_id)
            .order_by(VideoProduct.position)
        ).all()
    )


def detail(session: Session, video_id: int, principal: Principal | None) -> VideoDetail:
    video = load_video(session, video_id, principal.user_id if principal else None)
    liked = principal is not None and session.get(VideoLike, (video.id, principal.user_id)) is not None
    return VideoDetail(
        **_card(session, video).model_dump(),
        description=video.description,
        source=video.source,
        container=video.container,
        codec=video.codec,
        width=video.width,
        height=video.height,
        size_bytes=video.size_bytes,
        products=catalog.listed_cards(session, product_ids(session, video.id)),
        liked=liked,
        status=video.status,
    )


def feed(
    session: Session, params: PageParams, author_id: int | None = None, shop_id: int | None = None
) -> Page[VideoCard]:
    """Published videos, newest first; optionally one author's or one shop's."""
    where = [Video.status == VideoStatus.PUBLISHED]
    if author_id is not None:
        where.append(Video.author_id == author_id)
    if shop_id is not None:
        where.append(Video.shop_id == shop_id)
    total = session.scalar(select(func.count(Video.id)).where(*where)) or 0
    rows = session.scalars(
        select(Video).where(*where).order_by(Video.id.desc()).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[_card(session, v) for v in rows], total=total, limit=params.limit, offset=params.offset
    )


@dataclass(frozen=True)
class MediaFile:
    key: str | None  # in storage
    url: str | None  # hosted elsewhere


def media_file(session: Session, video_id: int) -> MediaFile:
    video = load_video(session, video_id)
    return MediaFile(video.media_key, video.url)


def cover_key(session: Session, video_id: int) -> str:
    video = load_video(session, video_id)
    if video.cover_key is None:
        raise errors.COVER_NOT_FOUND(video_id=video_id)
    return video.cover_key


def check_attribution(
    session: Session, video_id: int, product_ids_bought: list[int], creator_id: int | None
) -> None:
    """VIDEO_ATTRIBUTION_INVALID unless the video is published, links every product bought, and any
    creator named is the video's author."""
    video = session.get(Video, video_id)
    if video is None or video.status != VideoStatus.PUBLISHED:
        raise errors.VIDEO_ATTRIBUTION_INVALID(video_id=video_id)
    linked = set(product_ids(session, video_id))
    missing = [p for p in product_ids_bought if p not in linked]
    if missing or (creator_id is not None and creator_id != video.author_id):
        raise errors.VIDEO_ATTRIBUTION_INVALID(video_id=video_id, product_ids=missing)

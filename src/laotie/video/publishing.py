"""Posting a short video (an uploaded mp4 or a link to one), its linked products, and removing it.

Who may link what: a video posted for a shop (``shop_id``, by a member of a selling shop) links that
shop's listed products; a creator links listed alliance products (offered to creators). Checks come
before any file is stored, and a stored file whose row does not commit is the caller's to delete.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.errors import FILE_TOO_LARGE
from laotie.core.events import emit
from laotie.core.storage import FileStorage
from laotie.events.video import VideoPublished, VideoRemoved
from laotie.moderation import service as moderation
from laotie.settings import get_settings
from laotie.shops import service as shops
from laotie.video import errors, links, probe
from laotie.video.feed import detail, load_video
from laotie.video.models import Video, VideoProduct, VideoStatus
from laotie.video.schemas import MAX_PRODUCTS, VideoDetail, VideoLinkIn, VideoMeta

# Search indexes videos: {"video_id", "shop_id", "author_id"}.


def check_products(
    session: Session, principal: Principal, shop_id: int | None, product_ids: list[int]
) -> list[int]:
    """The products, each once in the order given, if this author may link them all."""
    wanted = list(dict.fromkeys(product_ids))
    if len(wanted) > MAX_PRODUCTS:
        raise errors.VIDEO_TOO_MANY_PRODUCTS(limit=MAX_PRODUCTS)
    cards = {c.id: c for c in catalog.listed_cards(session, wanted)}
    creator = principal.has(Role.CREATOR)
    offered = affiliate.active_rates(session, wanted) if creator else {}
    for product_id in wanted:
        card = cards.get(product_id)
        own = card is not None and shop_id is not None and card.shop_id == shop_id
        if card is None or not (own or product_id in offered):
            raise errors.VIDEO_PRODUCT_NOT_ALLOWED(product_id=product_id)
    return wanted


def _check_author(session: Session, principal: Principal, meta: VideoMeta) -> list[int]:
    if meta.shop_id is not None:
        shops.require_selling_shop(session, meta.shop_id, principal)
    return check_products(session, principal, meta.shop_id, meta.product_ids)


def _create(
    session: Session, principal: Principal, meta: VideoMeta, product_ids: list[int], **media: object
) -> Video:
    video = Video(
        author_id=principal.user_id,
        shop_id=meta.shop_id,
        title=meta.title,
        description=meta.description,
        status=VideoStatus.PUBLISHED,
        views=0,
        likes=0,
        comments=0,
        created_at=clock.now(),
        **media,
    )
    session.add(video)
    session.flush()
    session.add_all(
        VideoProduct(video_id=video.id, product_id=p, position=i) for i, p in enumerate(product_ids)
    )
    if _caption_blocked(session, video):
        video.status = VideoStatus.HELD  # published (and announced) when staff clear the caption
    else:
        emit(session, VideoPublished(video_id=video.id, shop_id=video.shop_id, author_id=video.author_id))
    session.flush()
    return video


def _caption_blocked(session: Session, video: Video) -> bool:
    """Screen the title and the description; a blocked caption holds the video back (only its author
    sees it) until staff mark the hit wrong (see ``video.events``)."""
    blocked = False
    for text in (video.title, video.description):
        if text.strip():
            verdict = moderation.screen(
                session,
                text=text,
                surface=moderation.Surface.VIDEO_CAPTION,
                subject_kind="video",
                subject_id=video.id,
                author_id=video.author_id,
            )
            blocked = blocked or verdict.blocked
    return blocked


def upload(
    session: Session, storage: FileStorage, principal: Principal, meta: VideoMeta, data: bytes
) -> tuple[VideoDetail, list[str]]:
    """Check, store and publish an uploaded mp4 with its cover. Returns the video and the storage
    keys written, which the caller deletes if its transaction does not commit."""
    settings = get_settings()
    if len(data) > settings.video_max_bytes:
        raise FILE_TOO_LARGE(limit_mb=settings.video_max_bytes // (1024 * 1024))
    product_ids = _check_author(session, principal, meta)
    info, cover = probe.probe_bytes(data, settings.video_max_seconds)
    keys = [storage.put("videos/media", ".mp4", data)]
    if cover is not None:
        keys.append(storage.put("videos/covers", ".jpg", cover))
    video = _create(
        session,
        principal,
        meta,
        product_ids,
        source="upload",
        media_key=keys[0],
        url=None,
        cover_key=keys[1] if cover is not None else None,
        container=info.container,
        codec=info.codec,
        duration_ms=info.duration_ms,
        width=info.width,
        height=info.height,
        size_bytes=len(data),
    )
    return detail(session, video.id, principal), keys


def link(session: Session, principal: Principal, body: VideoLinkIn) -> VideoDetail:
    """Publish a video hosted elsewhere. It is not fetched (the platform does not call arbitrary
    URLs), so it has no cover and no probed duration; the player streams it from its host."""
    url = links.check_link(body.url)
    product_ids = _check_author(session, principal, body)
    video = _create(
        session, principal, body, product_ids, source="link", url=url, media_key=None, cover_key=None
    )
    return detail(session, video.id, principal)


def set_products(
    session: Session, principal: Principal, video_id: int, product_ids: list[int]
) -> VideoDetail:
    video = load_video(session, video_id, principal.user_id)
    if video.author_id != principal.user_id:
        raise errors.VIDEO_NOT_AUTHOR()
    wanted = check_products(session, principal, video.shop_id, product_ids)
    session.execute(delete(VideoProduct).where(VideoProduct.video_id == video.id))
    session.add_all(VideoProduct(video_id=video.id, product_id=p, position=i) for i, p in enumerate(wanted))
    session.flush()
    return detail(session, video.id, principal)


def remove(session: Session, principal: Principal, video_id: int) -> None:
    video = load_video(session, video_id, principal.user_id)
    if video.author_id != principal.user_id and not principal.is_staff:
        raise errors.VIDEO_NOT_AUTHOR()
    video.status = VideoStatus.REMOVED
    emit(session, VideoRemoved(video_id=video.id, shop_id=video.shop_id, author_id=video.author_id))
    session.flush()

"""Short videos: upload checked by ffprobe with a cover cut by ffmpeg, links, linked products, the feed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from laotie.video import service as video
from laotie.video.models import Video, VideoProduct
from laotie.video.schemas import VideoLinkIn, VideoMeta
from tests.factories import make_user
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_on_sale
from tests.factories.shops import principal_of
from tests.factories.video import clip, post_video


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Video)) or 0,
        session.scalar(select(func.count()).select_from(VideoProduct)) or 0,
    )


def test_upload_probes_stores_and_cuts_a_cover(app: FastAPI, session: Session) -> None:
    sale = make_on_sale(session)
    owner = owner_principal(session, sale.shop_id)
    out = post_video(session, app.state.storage, owner, [sale.product_id], shop_id=sale.shop_id)
    assert (out.container, out.codec, out.width, out.height) == ("mp4", "h264", 320, 240)
    assert 1900 <= out.duration_ms <= 2100
    assert [p.id for p in out.products] == [sale.product_id]
    assert out.creator_id is None  # posted for a shop
    row = session.get(Video, out.id)
    assert row is not None and row.cover_key is not None and row.media_key is not None
    cover = app.state.storage.read(row.cover_key)
    assert cover[:2] == b"\xff\xd8"  # a JPEG
    assert app.state.storage.read(row.media_key) == clip()


def test_bad_files_and_bad_links_change_nothing(
    app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laotie.settings import get_settings

    user_id, _ = make_user(session)
    author = principal_of(session, user_id)
    meta = VideoMeta(title="开箱")
    before = _counts(session)
    files = list((app.state.storage.root).rglob("*")) if app.state.storage.root.exists() else []
    monkeypatch.setenv("LAOTIE_VIDEO_MAX_SECONDS", "3")
    monkeypatch.setenv("LAOTIE_VIDEO_MAX_BYTES", "200000")
    get_settings.cache_clear()
    cases = [
        (b"", "VIDEO_NOT_A_VIDEO"),
        ("这不是视频，是一段文字。".encode() * 20, "VIDEO_NOT_A_VIDEO"),
        (b"GIF89a not a video at all" * 10, "VIDEO_UNSUPPORTED_FORMAT"),  # probed as a GIF
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, "VIDEO_NOT_A_VIDEO"),  # an mp4 header, nothing inside
        (clip(2, "mpeg4", "avi"), "VIDEO_UNSUPPORTED_FORMAT"),
        (clip(2, "mpeg4", "mp4"), "VIDEO_UNSUPPORTED_FORMAT"),  # MP4, but a codec we do not play
        (clip(5), "VIDEO_TOO_LONG"),
        (b"\x00" * 200_001, "FILE_TOO_LARGE"),
    ]
    for data, code in cases:
        with pytest.raises(AppError) as caught:
            video.upload(session, app.state.storage, author, meta, data)
        assert caught.value.code == code
        session.rollback()
    for url in [
        "ftp://cdn.example.com/a.mp4",
        "https://cdn.example.com/a.mov",
        "javascript:alert(1)//.mp4",
        "https:///a.mp4",
    ]:
        with pytest.raises(AppError) as caught:
            video.link(session, author, VideoLinkIn(title="链接", url=url))
        assert caught.value.code == "VIDEO_BAD_LINK", url
        session.rollback()
    assert _counts(session) == before
    after = list((app.state.storage.root).rglob("*")) if app.state.storage.root.exists() else []
    assert [p for p in after if p.is_file()] == [p for p in files if p.is_file()]


def test_who_may_link_which_products(app: FastAPI, session: Session) -> None:
    own = make_on_sale(session)
    alliance = make_on_sale(session)
    offer(session, alliance, 1000)
    plain = make_on_sale(session)
    owner = owner_principal(session, own.shop_id)
    creator = make_creator(session)
    buyer_id, _ = make_user(session)
    allowed = [
        (owner, own.shop_id, [own.product_id]),
        (creator.principal, None, [alliance.product_id]),
    ]
    for who, shop_id, products in allowed:
        assert video.check_products(session, who, shop_id, products) == products
    refused = [
        (owner, own.shop_id, [plain.product_id], "VIDEO_PRODUCT_NOT_ALLOWED"),  # another shop's
        (owner, own.shop_id, [alliance.product_id], "VIDEO_PRODUCT_NOT_ALLOWED"),  # alliance, but no creator
        (creator.principal, None, [plain.product_id], "VIDEO_PRODUCT_NOT_ALLOWED"),  # not offered
        (principal_of(session, buyer_id), None, [alliance.product_id], "VIDEO_PRODUCT_NOT_ALLOWED"),
        (owner, own.shop_id, list(range(1, 12)), "VIDEO_TOO_MANY_PRODUCTS"),
    ]
    for who, shop_id, products, code in refused:
        with pytest.raises(AppError) as caught:
            video.check_products(session, who, shop_id, products)
        assert caught.value.code == code
    with pytest.raises(AppError) as caught:  # posting for a shop one is not a member of
        video.link(
            session,
            creator.principal,
            VideoLinkIn(title="x", url="https://cdn.example.com/v.mp4", shop_id=own.shop_id),
        )
    assert caught.value.code == "NOT_SHOP_MEMBER"
    session.rollback()
    linked = video.link(
        session,
        creator.principal,
        VideoLinkIn(title="好物推荐", url="https://cdn.example.com/v.mp4", product_ids=[alliance.product_id]),
    )
    session.commit()
    assert linked.creator_id == creator.user_id and linked.cover_url is None
    feed = video.feed(session, PageParams())
    assert [v.id for v in feed.items] == [linked.id]


def test_video_api_upload_feed_and_files(app: FastAPI, client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    r = client.post(
        "/api/v1/videos",
        headers=sale.owner_headers,
        data={"title": "木耳怎么泡", "shop_id": str(sale.shop_id), "product_ids": [str(sale.product_id)]},
        files={"file": ("clip.mp4", clip(), "video/mp4")},
    )
    assert r.status_code == 201, r.text
    video_id = r.json()["id"]
    bad = client.post(
        "/api/v1/videos",
        headers=sale.owner_headers,
        data={"title": "假视频"},
        files={"file": ("clip.mp4", b"this is text", "video/mp4")},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VIDEO_NOT_A_VIDEO"
    media = client.get(f"/api/v1/videos/{video_id}/media")
    assert (
        media.status_code == 200 and media.headers["content-type"] == "video/mp4" and media.content == clip()
    )
    cover = client.get(f"/api/v1/videos/{video_id}/cover")
    assert cover.status_code == 200 and cover.content[:2] == b"\xff\xd8"
    feed = client.get("/api/v1/videos", params={"shop_id": sale.shop_id}).json()
    assert [v["id"] for v in feed["items"]] == [video_id]
    linked = client.post(
        "/api/v1/videos/link",
        headers=sale.owner_headers,
        json={"title": "外链", "url": "https://cdn.example.com/x.mp4"},
    ).json()
    redirect = client.get(f"/api/v1/videos/{linked['id']}/media", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "https://cdn.example.com/x.mp4"
    assert (
        client.get(f"/api/v1/videos/{linked['id']}/cover").json()["error"]["code"] == "VIDEO_COVER_NOT_FOUND"
    )
    _, stranger = make_user(session)
    assert client.delete(f"/api/v1/videos/{video_id}", headers=stranger).status_code == 403
    assert client.delete(f"/api/v1/videos/{video_id}", headers=sale.owner_headers).status_code == 204
    assert client.get(f"/api/v1/videos/{video_id}").status_code == 404

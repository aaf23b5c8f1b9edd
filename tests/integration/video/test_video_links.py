"""Issue 9 item 11: a linked video is an https link to an allowed host, never a redirect to loopback
or anywhere else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.settings import get_settings
from laotie.video.links import check_link
from laotie.video.models import Video
from tests.factories.orders import make_on_sale


@pytest.fixture(autouse=True)
def _allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "video_link_hosts", ["cdn.example.com", "*.vod.example.net"])


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a.mp4",
        "https://CDN.example.com./b/c.MP4",
        "https://eu.vod.example.net/a.mp4",
        "https://cdn.example.com:443/a.mp4",
    ],
)
def test_allowed_links(url: str) -> None:
    assert check_link(url) == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://cdn.example.com/a.mp4", "VIDEO_BAD_LINK"),  # https only
        ("https://127.0.0.1/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://[::1]/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://localhost/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://2130706433/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),  # 127.0.0.1 as a number
        ("https://cdn.example.com@127.0.0.1/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://cdn.example.com:8443/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://evil.example.org/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://cdn.example.com.evil.org/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://vod.example.net/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),  # "*." means subdomains
        ("https://evilvod.example.net/a.mp4", "VIDEO_LINK_HOST_NOT_ALLOWED"),
        ("https://cdn.example.com:99999/a.mp4", "VIDEO_BAD_LINK"),
    ],
)
def test_refused_links(url: str, code: str) -> None:
    with pytest.raises(AppError) as caught:
        check_link(url)
    assert caught.value.code == code


def test_over_http_only_allowed_links_publish_and_redirect(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    r = client.post(
        "/api/v1/videos/link",
        headers=sale.owner_headers,
        json={"title": "外链", "url": "https://127.0.0.1/x.mp4"},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VIDEO_LINK_HOST_NOT_ALLOWED")
    r = client.post(
        "/api/v1/videos/link",
        headers=sale.owner_headers,
        json={"title": "外链", "url": "https://cdn.example.com/x.mp4"},
    )
    assert r.status_code == 201, r.text
    video_id = r.json()["id"]
    media = client.get(f"/api/v1/videos/{video_id}/media", follow_redirects=False)
    assert (media.status_code, media.headers["location"]) == (307, "https://cdn.example.com/x.mp4")
    # A link stored before the check (or a host taken off the list) no longer redirects.
    session.execute(update(Video).where(Video.id == video_id).values(url="https://127.0.0.1/admin.mp4"))
    session.commit()
    media = client.get(f"/api/v1/videos/{video_id}/media", follow_redirects=False)
    assert media.status_code == 422 and "location" not in media.headers
    assert media.json()["error"]["code"] == "VIDEO_LINK_HOST_NOT_ALLOWED"

"""The demo's live video (``sim.live_video``): the media server ``laotie demo`` starts and the looping
ffmpeg test picture it pushes into a room on air play in the phone's live room; without a media
server the room shows its cover poster, not a black player at 0:00."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from rich.console import Console

from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.live import service as live
from laotie.sim import images, live_video
from tests.e2e.harness import Shots, Site, browser_context, free_port, new_page, wait_until
from tests.factories.live import on_air

pytestmark = pytest.mark.skipif(
    bool(live_video.missing()), reason=f"needs {' '.join(live_video.missing())} (make demo-deps)"
)


@pytest.fixture(scope="module")
def stack(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    site = fresh_site("video")
    db = site.database()
    with unit_of_work(db) as session:
        air = on_air(session)
        cover = images.product_image("今晚秒杀", "老铁直播间", "e2e-cover", badge=None)
        key = LocalDiskStorage(site.media).put("live-covers", ".jpg", cover)
        live.set_cover(session, air.anchor.principal, air.session_id, key)  # as the demo's rooms have
        session.commit()
    api_port = free_port()
    video = live_video.start_media(
        f"http://127.0.0.1:{api_port}", site.home / "nginx", Console(quiet=True), free_port(), free_port()
    )
    assert video is not None
    try:
        base = serve(site, port=api_port, env=video.env)
        plain = serve(site)  # the same rooms from an API without a media server
        streams = live_video.plan_streams(db)
        assert [s.session_id for s in streams] == [air.session_id]
        live_video.push(video, base, streams)
        yield {"base": base, "plain": plain, "session_id": air.session_id, "video": video}
    finally:
        video.stop()
        db.dispose()


def _settled(hls_url: str) -> bool:
    """Segments in the playlist, the stream's first one gone: nginx-rtmp cuts it before the first
    key frame (audio only), and a player starting there would wait for a picture a while."""
    try:
        r = httpx.get(hls_url, timeout=2)
    except httpx.TransportError:
        return False
    names = [line for line in r.text.splitlines() if line.endswith(".ts")] if r.status_code == 200 else []
    return len(names) >= 3 and not any(n.endswith("-0.ts") for n in names)


@pytest.mark.e2e
def test_the_demo_pushes_video_a_phone_plays(stack: dict[str, Any], browser: Any, shots: Shots) -> None:
    base, sid = stack["base"], stack["session_id"]
    hls_url = httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["hls_url"]
    assert hls_url and hls_url.startswith(stack["video"].config.hls_url)
    try:
        wait_until(lambda: _settled(hls_url), 60, "HLS segments from the demo's ffmpeg")
    except AssertionError:
        logs = [
            *stack["video"].config.work_dir.glob("ffmpeg-*.log"),
            stack["video"].config.work_dir / "error.log",
        ]
        raise AssertionError("\n".join(p.read_text(errors="replace")[-1500:] for p in logs)) from None
    page = new_page(browser_context(browser, 390, 844))
    said: list[str] = []
    page.on("console", lambda m: said.append(m.text))
    page.goto(f"{base}/live/{sid}")
    try:
        # a decoded frame of the test picture (on a loaded machine playback may then stall a while)
        page.wait_for_function(
            "(v => v.readyState >= 2 && v.videoWidth > 0)(document.getElementById('live-video'))",
            timeout=60_000,
        )
    except Exception:
        state = page.locator("#live-video").evaluate(
            "v => [v.readyState, v.videoWidth, v.currentTime, v.paused, v.buffered.length && v.buffered.end(0)]"
        )
        raise AssertionError(f"the room's video does not play: {state} {said}") from None
    assert page.locator("#live-video").evaluate("v => v.videoWidth") == 640  # the test picture's size
    shots.take(page, "phone-live-video.png")
    page.context.close()


@pytest.mark.e2e
def test_without_a_media_server_the_room_shows_its_cover(stack: dict[str, Any], browser: Any) -> None:
    page = new_page(browser_context(browser, 390, 844))
    page.goto(f"{stack['plain']}/live/{stack['session_id']}")
    assert page.locator("#live-video").count() == 0  # no black player at 0:00
    poster = page.locator("img.player-poster")
    assert poster.count() == 1 and poster.evaluate("img => img.naturalWidth") > 0
    assert "主播还没开始推流" in page.locator("#player-note").inner_text()
    page.context.close()

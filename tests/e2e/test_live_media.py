"""Real video: ffmpeg pushes a test pattern into real nginx-rtmp, whose callbacks reach a real API
server: a bad key is dropped, a good key takes the session live with a playable HLS playlist, and
the end of the stream ends the session."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from laotie.core.uow import unit_of_work
from laotie.live import media
from laotie.live import service as live
from laotie.live.schemas import SessionIn
from tests.e2e.harness import ROOT, Site, free_port, wait_until
from tests.factories.live import creator_anchor

SECRET = "e2e-media-secret"
pytestmark = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists()),
    reason="needs ffmpeg, nginx-light and libnginx-mod-rtmp (make system-deps)",
)


def _push(rtmp: str, key: str, seconds: int) -> subprocess.Popen[bytes]:
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
        "-f", "lavfi", "-i", "sine",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
        "-c:a", "aac", "-f", "flv", f"{rtmp}/{key}",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def stack(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, object]]:
    site = fresh_site("media")
    db = site.database()
    with unit_of_work(db) as session:
        anchor = creator_anchor(session)
        out = live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="测试推流"))
        session.commit()
    api_port, rtmp_port, http_port = free_port(), free_port(), free_port()
    config = media.MediaConfig(
        work_dir=site.home / "nginx",
        callback_url=f"http://127.0.0.1:{api_port}",
        secret=SECRET,
        rtmp_port=rtmp_port,
        http_port=http_port,
    )
    media.write(config)
    env = {
        "LAOTIE_MEDIA_DIR": str(site.home / "files"),
        "LAOTIE_MEDIA_CALLBACK_SECRET": SECRET,
        "LAOTIE_MEDIA_HLS_URL": config.hls_url,
        "LAOTIE_MEDIA_RTMP_URL": config.rtmp_url,
    }
    base = serve(site, port=api_port, env=env)
    nginx = subprocess.Popen(media.command(config))
    try:
        wait_until(lambda: (site.home / "nginx" / "nginx.pid").exists(), 20, "nginx")
        yield {
            "base": base,
            "rtmp": config.rtmp_url,
            "hls": config.hls_url,
            "key": anchor.stream_key,
            "session_id": out.id,
            "home": site.home,
        }
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=15)
        except subprocess.TimeoutExpired:
            nginx.kill()
        db.dispose()


def test_a_bad_key_is_dropped_and_a_good_one_goes_live_with_hls(stack: dict[str, object]) -> None:
    base, rtmp, key, sid = stack["base"], str(stack["rtmp"]), str(stack["key"]), stack["session_id"]
    refused = _push(rtmp, "lt_wrong-key", 5)
    assert refused.wait(timeout=30) != 0  # nginx dropped the publisher after the API's 403
    assert httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["status"] == "scheduled"

    pusher = _push(rtmp, key, 12)
    try:
        wait_until(
            lambda: httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["status"] == "live", 20, "live"
        )
        hls_url = httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["hls_url"]
        assert hls_url and hls_url.startswith(str(stack["hls"])) and key not in hls_url
        segments: list[str] = []

        def playlist_has_segments() -> bool:
            r = httpx.get(hls_url, timeout=2)
            if r.status_code != 200 or "#EXTM3U" not in r.text:
                return False
            segments[:] = [line for line in r.text.splitlines() if line.endswith(".ts")]
            return len(segments) >= 2

        try:
            wait_until(playlist_has_segments, 20, "an HLS playlist with segments")
        except AssertionError:
            nginx_dir = Path(str(stack["home"])) / "nginx"
            log = (nginx_dir / "error.log").read_text()[-3000:]
            raise AssertionError(
                f"no HLS at {hls_url}; hls dir {sorted(os.listdir(nginx_dir / 'hls'))}; {log}"
            ) from None
        segment = httpx.get(hls_url.rsplit("/", 1)[0] + "/" + segments[0], timeout=5)
        assert (
            segment.status_code == 200 and len(segment.content) > 1000 and segment.content[0] == 0x47
        )  # MPEG-TS
    finally:
        assert pusher.wait(timeout=40) == 0, pusher.stderr.read() if pusher.stderr else ""
    wait_until(
        lambda: httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["status"] == "ended", 20, "the end"
    )
    # The ended session cannot be published to again.
    again = _push(rtmp, key, 3)
    assert again.wait(timeout=30) != 0
    assert httpx.get(f"{base}/api/v1/live/sessions/{sid}").json()["status"] == "ended"


def test_the_cli_writes_a_config_nginx_accepts(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LAOTIE_MEDIA_CALLBACK_SECRET": SECRET}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "laotie.cli",
            "media",
            "--work-dir",
            str(tmp_path),
            "--write-only",
            "--rtmp-port",
            "19999",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    conf = (tmp_path / "nginx.conf").read_text()
    assert "listen 127.0.0.1:19999;" in conf and f"secret={SECRET}" in conf and "daemon off;" in conf
    check = subprocess.run(
        [media.nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr

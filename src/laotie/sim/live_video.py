"""Real video in the demo's live rooms. When nginx with the RTMP module and ffmpeg are installed,
``laotie demo`` runs the media server (the configuration ``laotie media`` writes) and ffmpeg pushes a
looping test picture into the first on-air rooms: the pinned product's picture, the room's title and
product name, a moving bar and a tone. Without them the rooms show their cover poster.

Each pushed room gets a fresh stream key (``live.rotate_key``, as its anchor would in the console), so
the keys never need to be stored. nginx and ffmpeg run in their own process groups: Ctrl-C stops the
API first, then they are stopped, so their "stream ended" callbacks find no API and the rooms stay on
air for the next ``make demo``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.live import media
from laotie.live import service as live
from laotie.settings import get_settings
from laotie.sim.people import principal_of

FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
STREAMS = 2  # rooms pushed: one or two is what a laptop's CPU spares for the demo
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a child gets when the thread that started it ends
SIZE, FPS = "640x360", 15


@dataclass(frozen=True)
class Stream:
    """What ffmpeg pushes into one room: its key, the words it draws and the product's picture."""

    session_id: int
    stream_key: str
    title: str
    product: str
    picture_url: str | None


@dataclass
class DemoVideo:
    config: media.MediaConfig
    nginx: subprocess.Popen[bytes]
    pushers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="laotie-demo-video-")))

    @property
    def env(self) -> dict[str, str]:
        """The settings that make the API hand out this media server's addresses."""
        return {
            "LAOTIE_MEDIA_HLS_URL": self.config.hls_url,
            "LAOTIE_MEDIA_RTMP_URL": self.config.rtmp_url,
            "LAOTIE_MEDIA_CALLBACK_SECRET": self.config.secret,
        }

    def stop(self) -> None:
        for process in [*self.pushers, self.nginx]:
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT if process is self.nginx else signal.SIGTERM)
        for process in [*self.pushers, self.nginx]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def font() -> Path | None:
    return next((f for f in FONTS if f.exists()), None)


def missing() -> list[str]:
    """The Debian packages the demo's live video still needs (empty: it can run)."""
    lacking = [] if shutil.which("ffmpeg") else ["ffmpeg"]
    for find, package in ((media.nginx_binary, "nginx-light"), (media.rtmp_module, "libnginx-mod-rtmp")):
        try:
            find()
        except FileNotFoundError:
            lacking.append(package)
    return lacking + ([] if font() else ["fonts-wqy-microhei"])


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port(preferred: int) -> int:
    if _free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_media(
    api_base: str, work_dir: Path, console: Console, rtmp_port: int = 1935, http_port: int = 8081
) -> DemoVideo | None:
    """nginx-rtmp for an API at ``api_base`` (on the given ports, or free ones when they are taken);
    None, with the reason printed, when a package is missing. The API needs ``DemoVideo.env``."""
    lacking = missing()
    if lacking:
        console.print(
            f"[yellow]直播画面未启用[/yellow] no live video ({' '.join(lacking)} missing, `make demo` installs"
            " them): the rooms show their cover."
        )
        return None
    settings = get_settings()
    config = media.MediaConfig(
        work_dir=work_dir,
        callback_url=api_base,
        # the API and nginx must share it: the one already set, else a new one handed to the API in env
        secret=settings.media_callback_secret or secrets.token_urlsafe(24),
        rtmp_port=_port(rtmp_port),
        http_port=_port(http_port),
    )
    media.write(config)
    log = (work_dir / "nginx.out").open("wb")
    nginx = subprocess.Popen(
        media.command(config),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_end_with_parent,
    )
    return DemoVideo(config, nginx)


def _end_with_parent() -> None:
    """In the child, before nginx starts: ask Linux to send SIGTERM when the demo dies, even by
    ``kill -9`` (which no cleanup of ours outlives). nginx then stops its workers, and the ffmpeg
    pushers, which write into nginx, end on their broken connection. Called from the main thread,
    which lives as long as the demo (the signal follows the thread that started the child)."""
    import contextlib
    import ctypes

    # Not Linux (no prctl): the cleanup on a normal exit still runs.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def plan_streams(db: Database, count: int = STREAMS) -> list[Stream]:
    """The first ``count`` rooms on air, each with a new stream key and its pinned product."""
    plans = []
    with unit_of_work(db) as session:
        for on_air in live.live_now(session)[:count]:
            anchor = principal_of(session, on_air.anchor_user_id)
            key = live.rotate_key(session, anchor, on_air.room_id).stream_key
            cart = live.cart_view(session, on_air.id)
            item = next((i for i in cart if i.pinned), cart[0] if cart else None)
            plans.append(
                Stream(
                    on_air.id,
                    key,
                    on_air.title,
                    f"{item.title} ¥{item.min_price_fen // 100}" if item else "",
                    item.cover_url if item else None,
                )
            )
        session.commit()
    return plans


def ffmpeg_command(stream: Stream, rtmp_url: str, folder: Path, picture: Path | None) -> list[str]:
    """A looping picture with words, a moving bar and a 440 Hz tone, as H.264/AAC over RTMP. The
    words go through files: no quoting of Chinese or punctuation inside the filter graph."""
    (folder / f"{stream.session_id}-title.txt").write_text(stream.title, encoding="utf-8")
    (folder / f"{stream.session_id}-product.txt").write_text(stream.product or "老铁好物", encoding="utf-8")
    text = f"fontfile={font()}:fontcolor=white"
    draw = (
        f"drawtext={text}:fontsize=30:x=250:y=70:textfile={folder / f'{stream.session_id}-title.txt'},"
        f"drawtext={text}:fontsize=22:x=250:y=130:textfile={folder / f'{stream.session_id}-product.txt'},"
        f"drawtext={text}:fontsize=20:x=250:y=290:text='LIVE %{{pts\\:hms}}',"
        "drawbox=x='mod(t*160,640)':y=340:w=90:h=8:color=0xff5000@0.95:t=fill"
    )
    inputs = ["-f", "lavfi", "-i", f"color=c=0x3a1020:s={SIZE}:r={FPS}"]
    graph = f"[0:v]{draw}[v]"
    if picture is not None:
        inputs += ["-loop", "1", "-framerate", str(FPS), "-i", str(picture)]
        graph = f"[1:v]scale=200:200[p];[0:v][p]overlay=30:70,{draw}[v]"
    audio = 1 if picture is None else 2  # the tone's input comes after the picture's
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
        *inputs,
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-filter_complex", graph, "-map", "[v]", "-map", f"{audio}:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", str(FPS * 2), "-b:v", "600k", "-c:a", "aac", "-b:a", "64k",
        "-f", "flv", f"{rtmp_url}/{stream.stream_key}",
    ]  # fmt: skip


def push(video: DemoVideo, api_base: str, streams: list[Stream]) -> None:
    """Start one ffmpeg per stream (the API must answer nginx's on_publish by then)."""
    for stream in streams:
        picture = None
        if stream.picture_url:
            url = stream.picture_url if "://" in stream.picture_url else api_base + stream.picture_url
            answer = httpx.get(url, timeout=10)
            if answer.status_code == 200:
                picture = video.folder / f"{stream.session_id}.jpg"
                picture.write_bytes(answer.content)
        command = ffmpeg_command(stream, video.config.rtmp_url, video.folder, picture)
        log = (video.config.work_dir / f"ffmpeg-{stream.session_id}.log").open("wb")
        video.pushers.append(
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )


def push_when_up(video: DemoVideo, api_base: str, db_url: str, console: Console) -> threading.Thread:
    """In the background: wait for the API to answer, then push into the rooms on air."""

    def run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api_base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        db = Database(db_url)
        try:
            streams = plan_streams(db)
        finally:
            db.dispose()
        push(video, api_base, streams)
        rooms = "、".join(f"/live/{s.session_id}" for s in streams)
        console.print(
            f"[green]直播画面已推流[/green] test video pushed into {rooms or 'no room (none on air)'}"
        )

    thread = threading.Thread(target=run, name="demo-video", daemon=True)
    thread.start()
    return thread


class AroundDemo:
    """``with AroundDemo(...): serve()``: the media server and the pushers live as long as the API."""

    def __init__(self, host: str, port: int, db_url: str, console: Console, enabled: bool = True) -> None:
        local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.api_base = f"http://{local}:{port}"
        self.db_url, self.console, self.enabled = db_url, console, enabled
        self.video: DemoVideo | None = None

    def __enter__(self) -> DemoVideo | None:
        if self.enabled:
            self.video = start_media(self.api_base, Path("var/media-server"), self.console)
            if self.video is not None:
                os.environ.update(self.video.env)  # the API about to start in this process reads them
                get_settings.cache_clear()
                push_when_up(self.video, self.api_base, self.db_url, self.console)
        return self.video

    def __exit__(self, *exc: object) -> None:
        if self.video is not None:
            self.video.stop()

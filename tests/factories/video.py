"""Real short clips made with ffmpeg (cached per test session), and videos posted through the service."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.storage import FileStorage
from laotie.video import service as video
from laotie.video.schemas import VideoDetail, VideoMeta

_FOLDER = Path(tempfile.mkdtemp(prefix="laotie-test-clips-"))


@cache
def clip(seconds: int = 2, codec: str = "libx264", container: str = "mp4") -> bytes:
    """A small test-pattern clip: H.264 in MP4 by default; ``codec``/``container`` for refusals."""
    out = _FOLDER / f"clip-{seconds}-{codec}.{container}"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=320x240:rate=10",
            "-c:v", codec, "-pix_fmt", "yuv420p", "-y", str(out),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return out.read_bytes()


def post_video(
    session: Session,
    storage: FileStorage,
    author: Principal,
    product_ids: list[int] | None = None,
    shop_id: int | None = None,
    title: str = "东北木耳开箱",
) -> VideoDetail:
    meta = VideoMeta(title=title, shop_id=shop_id, product_ids=product_ids or [])
    out, _ = video.upload(session, storage, author, meta, clip())
    session.commit()
    return out

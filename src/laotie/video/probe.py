"""What an uploaded file really is, asked of ffprobe; its cover frame, cut by ffmpeg.

The bytes are written to a private temporary file and probed there: never trusted by name or
declared type. Both tools run with a time limit so a crafted file cannot hold a worker.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from laotie.video import errors

CODECS = {"h264", "hevc", "av1"}
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MediaInfo:
    container: str
    codec: str
    duration_ms: int
    width: int
    height: int


def _ffprobe(path: Path) -> dict[str, object]:
    try:
        done = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise errors.VIDEO_NOT_A_VIDEO() from None
    if done.returncode != 0:
        raise errors.VIDEO_NOT_A_VIDEO()
    try:
        found = json.loads(done.stdout or b"{}")
    except ValueError:
        raise errors.VIDEO_NOT_A_VIDEO() from None
    return found if isinstance(found, dict) else {}


def inspect(path: Path, max_seconds: int) -> MediaInfo:
    """VIDEO_NOT_A_VIDEO, VIDEO_UNSUPPORTED_FORMAT or VIDEO_TOO_LONG unless ``path`` is an MP4 we play."""
    found = _ffprobe(path)
    fmt = found.get("format") or {}
    streams = found.get("streams") or []
    assert isinstance(fmt, dict) and isinstance(streams, list)
    video = next((s for s in streams if isinstance(s, dict) and s.get("codec_type") == "video"), None)
    if video is None:
        raise errors.VIDEO_NOT_A_VIDEO()
    containers = str(fmt.get("format_name", "")).split(",")
    codec = str(video.get("codec_name", ""))
    if "mp4" not in containers or codec not in CODECS:
        raise errors.VIDEO_UNSUPPORTED_FORMAT(container=",".join(containers), codec=codec)
    try:
        seconds = float(fmt.get("duration") or video.get("duration") or 0)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise errors.VIDEO_NOT_A_VIDEO()
    if seconds > max_seconds:
        raise errors.VIDEO_TOO_LONG(limit_seconds=max_seconds, seconds=round(seconds, 1))
    return MediaInfo(
        "mp4", codec, int(seconds * 1000), int(video.get("width") or 0), int(video.get("height") or 0)
    )


def cover_frame(path: Path, duration_ms: int) -> bytes | None:
    """A JPEG of the frame at one second (the first frame of shorter clips); None if ffmpeg fails."""
    at = "1" if duration_ms > 1000 else "0"
    with tempfile.TemporaryDirectory(prefix="laotie-cover-") as folder:
        out = Path(folder) / "cover.jpg"
        try:
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-ss",
                    at,
                    "-i",
                    str(path),
                    "-frames:v",
                    "1",
                    "-q:v",
                    "3",
                    "-y",
                    str(out),
                ],
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        return out.read_bytes() if out.exists() and out.stat().st_size else None


def probe_bytes(data: bytes, max_seconds: int) -> tuple[MediaInfo, bytes | None]:
    """Inspect uploaded bytes and cut their cover, in a temporary file removed afterwards."""
    if not data:
        raise errors.VIDEO_NOT_A_VIDEO()
    with tempfile.NamedTemporaryFile(prefix="laotie-upload-", suffix=".mp4") as handle:
        handle.write(data)
        handle.flush()
        path = Path(handle.name)
        info = inspect(path, max_seconds)
        return info, cover_frame(path, info.duration_ms)

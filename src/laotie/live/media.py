"""The media server's configuration (nginx-rtmp), written for the running platform by `laotie media`."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("nginx-rtmp.conf.tmpl")
RTMP_MODULE_CANDIDATES = (
    Path("/usr/lib/nginx/modules/ngx_rtmp_module.so"),
    Path("/usr/lib64/nginx/modules/ngx_rtmp_module.so"),
    Path("/usr/local/nginx/modules/ngx_rtmp_module.so"),
)


@dataclass(frozen=True)
class MediaConfig:
    work_dir: Path
    callback_url: str  # where this platform's API listens (nginx posts its callbacks there)
    secret: str
    rtmp_port: int = 1935
    http_port: int = 8081
    host: str = "127.0.0.1"

    @property
    def hls_dir(self) -> Path:
        return self.work_dir / "hls"

    @property
    def conf_path(self) -> Path:
        return self.work_dir / "nginx.conf"

    @property
    def rtmp_url(self) -> str:
        return f"rtmp://{self.host}:{self.rtmp_port}/live"

    @property
    def hls_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/hls"


def rtmp_module() -> Path:
    for candidate in RTMP_MODULE_CANDIDATES:
        if candidate.exists():
            return candidate
    raise FileNotFoundError("ngx_rtmp_module.so not found: install Debian's libnginx-mod-rtmp")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise FileNotFoundError("nginx not found: install Debian's nginx-light")
    return found


def render(config: MediaConfig, module: Path | None = None) -> str:
    if any(c in config.secret for c in " ;\n'\"&?#"):
        raise ValueError("the media callback secret must be URL- and nginx-safe (letters, digits, - _)")
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        rtmp_module=str(module or rtmp_module()),
        work_dir=str(config.work_dir.resolve()),
        hls_dir=str(config.hls_dir.resolve()),
        rtmp_listen=f"{config.host}:{config.rtmp_port}",
        http_listen=f"{config.host}:{config.http_port}",
        callback_url=config.callback_url.rstrip("/"),
        secret=config.secret,
        user_directive=_user_directive(),
    )


def _user_directive() -> str:
    """Started as root, nginx's workers would switch to ``nobody``, who cannot write the HLS files of
    the user who runs the platform; keep them as that user (started as another user, nginx does)."""
    return "user root;" if os.geteuid() == 0 else "# workers run as the user who starts nginx"


def write(config: MediaConfig, module: Path | None = None) -> Path:
    """Write nginx.conf and the directories it needs; returns the configuration's path."""
    for sub in ("hls", "tmp"):
        (config.work_dir / sub).mkdir(parents=True, exist_ok=True)
    config.conf_path.write_text(render(config, module), encoding="utf-8")
    return config.conf_path


def command(config: MediaConfig) -> list[str]:
    return [nginx_binary(), "-p", str(config.work_dir.resolve()), "-c", str(config.conf_path.resolve())]

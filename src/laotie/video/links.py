"""Which links a linked video may point at.

The platform never fetches a linked video; it sends the viewer's browser there (``/media`` answers
307). An open redirect lets anyone use the platform's name to send people anywhere, loopback and
the viewer's own network included, so a link must be ``https``, on a host the operator listed in
``video_link_hosts`` (``cdn.example.com``, or ``*.example.com`` for its subdomains), on the default
port, with no user name, and never an IP literal or a local name. The redirect checks the stored link
again, so a host taken off the list stops redirecting at once.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from laotie.settings import get_settings
from laotie.video import errors

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _host_allowed(host: str, allowed: list[str]) -> bool:
    for entry in (a.strip().lower().rstrip(".") for a in allowed):
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_link(url: str) -> str:
    """The link as stored, or VIDEO_BAD_LINK (not an https .mp4 URL) / VIDEO_LINK_HOST_NOT_ALLOWED."""
    text = url.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise errors.VIDEO_BAD_LINK()
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc or not parts.path.lower().endswith(".mp4"):
        raise errors.VIDEO_BAD_LINK()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise errors.VIDEO_BAD_LINK() from None
    allowed = get_settings().video_link_hosts
    if (
        not host
        or parts.username is not None
        or port not in (None, 443)
        or _is_address(host)
        or host in _LOCAL_NAMES
        or host.endswith((".localhost", ".local", ".internal"))
        or not _host_allowed(host, allowed)
    ):
        raise errors.VIDEO_LINK_HOST_NOT_ALLOWED(host=host, allowed=", ".join(allowed) or "-")
    return text


def redirect_target(url: str | None) -> str:
    """Where ``/media`` may send the viewer for a stored link: checked again, as the list is now."""
    if not url:
        raise errors.VIDEO_LINK_HOST_NOT_ALLOWED(host="", allowed="-")
    return check_link(url)

"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{body}"``, sent as ``t=<unix>,v1=<hex>``.

Signing the timestamp with the body lets the receiver refuse old messages (replays) without keeping
every event id forever: a captured webhook stops being accepted once it is older than the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from laotie.payments.interfaces import InvalidSignature

HEADER = "Laotie-Signature"


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The header value for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: datetime, tolerance_seconds: int) -> None:
    """Raise ``InvalidSignature`` unless ``header`` signs ``body`` and is recent enough."""
    if not header:
        raise InvalidSignature("missing signature header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("malformed signature header") from None
    signatures = parts.get("v1", [])
    if not signatures:
        raise InvalidSignature("no v1 signature")
    expected = _mac(secret, timestamp, body)
    # Compare every candidate in constant time: a secret being rotated may sign twice.
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise InvalidSignature("signature mismatch")
    age = now.timestamp() - timestamp
    if age > tolerance_seconds:
        raise InvalidSignature(f"timestamp too old ({int(age)} s)")
    if age < -tolerance_seconds:
        raise InvalidSignature(f"timestamp in the future ({int(-age)} s)")

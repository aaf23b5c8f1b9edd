"""How large a request body may be, per route, checked before it is read.

Every route takes at most ``max_json_body_bytes`` (64 KiB: a checkout with fifty lines is under
8 KiB) unless it declares a larger kind on its decorator, ``openapi_extra=body_limit(BodyLimit.IMAGE)``:
long texts (a product with its description), one image, several images (a page form with photos), a
document, a video. The declaration is also in the OpenAPI document (``x-body-limit``), for clients.

The check runs on the request's ``receive``: a declared ``Content-Length`` over the limit is refused
before one byte is read, and a chunked body is counted and refused as soon as it passes the limit.
Either way the answer is 413 ``BODY_TOO_LARGE`` with the limit in the details. Nothing reads a body
before its route is known (``RejectNulMiddleware`` checks text bodies as the route reads them), so
the route's limit is the one that applies: an unauthenticated 300 MB log-in is refused at 64 KiB.

Limits are read from the settings when this module is imported (route decorators need them then);
``LAOTIE_MAX_UPLOAD_BYTES`` and the others set in the environment apply as usual.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laotie.core.errors import AppError, ErrorKind
from laotie.settings import get_settings

BODY_TOO_LARGE = ErrorKind(
    "BODY_TOO_LARGE",
    413,
    "请求内容过大，不能超过{limit_bytes}字节",
    "The request body is too large (limit {limit_bytes} bytes)",
)
# A multipart form carries a few text fields and part headers besides its files.
FORM_OVERHEAD_BYTES = 64 * 1024
# Files one page form may carry (web.forms.MAX_UPLOADS keeps the same number).
MAX_FORM_FILES = 10


class BodyLimit:
    """Bytes per kind of body, from the settings this process started with."""

    _settings = get_settings()
    JSON = _settings.max_json_body_bytes
    TEXT = _settings.max_text_body_bytes
    IMAGE = _settings.max_upload_bytes + FORM_OVERHEAD_BYTES
    IMAGES = _settings.max_upload_bytes * MAX_FORM_FILES + FORM_OVERHEAD_BYTES
    DOCUMENT = _settings.max_upload_bytes + FORM_OVERHEAD_BYTES
    VIDEO = _settings.video_max_bytes + FORM_OVERHEAD_BYTES


LIMIT_KEY = "x-body-limit"


def body_limit(limit_bytes: int) -> dict[str, Any]:
    """A route's ``openapi_extra`` declaring the most its body may carry."""
    return {LIMIT_KEY: limit_bytes}


class BodyRefused(HTTPException):
    """A request body refused while the route reads it. An ``HTTPException`` because FastAPI lets only
    those through unchanged from its body parsing; the error handler answers with ``error``."""

    def __init__(self, error: AppError) -> None:
        super().__init__(status_code=error.status, detail=error.code)
        self.error = error


def _route_limit(scope: Scope) -> int:
    """The limit of the route this request was routed to (the router puts it in the scope before the
    route reads its body), or the app's default for JSON."""
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    limit = extra.get(LIMIT_KEY)
    if isinstance(limit, int):
        return limit
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return int(getattr(settings, "max_json_body_bytes", BodyLimit.JSON))


class BodyLimitMiddleware:
    """Counts what a route reads of its body and refuses (413 ``BODY_TOO_LARGE``) past its limit;
    a declared ``Content-Length`` over the limit is refused before anything is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        read = 0
        limit: int | None = None

        async def limited() -> Message:
            nonlocal read, limit
            if limit is None:
                limit = _route_limit(scope)
            if declared is not None and declared > limit:
                raise BodyRefused(BODY_TOO_LARGE(limit_bytes=limit))
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyRefused(BODY_TOO_LARGE(limit_bytes=limit))
            return message

        await self.app(scope, limited, send)

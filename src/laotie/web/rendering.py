"""Rendering pages: the Jinja2 environment, one-shot flash messages, and the page route class.

Page routes declare their access with the same dependencies as the API (``PublicAccess``,
``AnyUser``, ``require_roles``). ``PageRoute`` turns what those raise into what a browser
expects: an anonymous visitor is sent to the log-in page, other refusals get a Chinese error page
instead of JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import Principal
from laotie.core.errors import NOT_AUTHENTICATED, VALIDATION_ERROR, AppError
from laotie.core.money import discount_label, format_yuan, percent_label, plain_hundredths
from laotie.orders import service as orders
from laotie.social import service as social
from laotie.web import errors as web_errors
from laotie.web.labels import buyer_label, event_label, label

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
FLASH_COOKIE = "laotie_flash"
TOKEN_COOKIE = "laotie_token"


def _static_version() -> str:
    """A digest of the static files, so browsers fetch new CSS/JS after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


_VERSION = _static_version()


def static_url(path: str) -> str:
    return f"/static/{path}?v={_VERSION}"


def page_url(path: str, **params: object) -> str:
    """``path`` with the non-empty ``params`` as a query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "", 0)}
    return f"{path}?{urlencode(kept)}" if kept else path


try:
    CHINA_TZ: ZoneInfo | timezone = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # a slim image without tzdata: China has kept UTC+8 without DST since 1991
    CHINA_TZ = timezone(timedelta(hours=8), "CST")

_TIME_FORMATS = {
    "full": "%Y-%m-%d %H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
    "date": "%Y-%m-%d",
    "time": "%H:%M",
    "time_seconds": "%H:%M:%S",
}


def china_time(value: datetime | str | None, style: str = "full") -> str:
    """A moment as a buyer or merchant in China reads it: Beijing time, whatever the server's zone.

    Styles: ``full`` 2026-12-06 20:00, ``short`` 12月6日 20:00, ``seconds`` 2026-12-06 20:00:05,
    ``date`` 2026-12-06, ``month`` 2026年12月, ``time`` 20:00, ``time_seconds`` 20:00:05. A naive
    value is taken as UTC (every stored time is UTC); an ISO string (from JSON event data) is parsed."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(CHINA_TZ)
    if style == "short":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    if style == "month":
        return f"{local.year}年{local.month}月"
    return local.strftime(_TIME_FORMATS[style])


def order_number(order: Any) -> str:
    """订单编号 as people read them: the Beijing date the order was placed and its id, zero-padded to
    ten digits (2026120700000023), not a small integer. A display format only: links keep the id."""
    placed = china_time(order.created_at, "date").replace("-", "")
    return f"{placed}{order.id:010d}"


def order_numbers(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """order id -> its order number, for pages that hold only ids (after-sales cases, statements)."""
    placed = orders.placed_at(session, list(order_ids))
    return {i: order_number(SimpleNamespace(id=i, created_at=at)) for i, at in placed.items()}


def _orjson_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["yuan"] = format_yuan
env.filters["zhe"] = discount_label
env.filters["pct"] = percent_label
env.filters["hundredths"] = plain_hundredths
env.globals["static"] = static_url
env.globals["page_url"] = page_url
env.filters["label"] = label
env.filters["china_time"] = china_time
env.filters["buyer_label"] = buyer_label
env.filters["order_no"] = order_number
env.filters["event_label"] = event_label
# ``tojson`` through orjson (keys still sorted; Jinja still escapes <, >, & and ' for HTML): the
# product page's SKU data was a tenth of its render through the json module.
env.policies["json.dumps_function"] = _orjson_dumps
env.policies["json.dumps_kwargs"] = {}


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after log-in would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def render_html(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    flash = request.cookies.get(FLASH_COOKIE)
    context.setdefault("me", None)
    context.setdefault("principal", None)
    html = env.get_template(template).render(
        request=request, flash=unquote(flash) if flash else None, **context
    )
    response = HTMLResponse(html, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response


def render(
    request: Request,
    session: Session,
    principal: Principal | None,
    template: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page with the signed-in user in its header."""
    me = accounts.get_user_out(session, principal.user_id) if principal else None
    context.setdefault(
        "unread", social.unread_count(session, principal.user_id) if principal else 0
    )  # the bell
    return render_html(request, template, status_code, me=me, principal=principal, **context)


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """303 after a form post, optionally carrying a one-shot message to the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=60, httponly=True, samesite="lax")
    return response


def same_origin(request: Request) -> None:
    """A page form must come from our own pages. ``SameSite=Lax`` already keeps the cookie off other
    sites' posts; checking Origin (or Referer) is a second, cheap guard behind it. A post without
    either (old browsers, privacy settings, scripts) is let through: the cookie rule still holds."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        if source == "null":
            raise web_errors.FORM_CROSS_SITE()
        return
    if urlsplit(source).netloc.lower() != request.headers.get("host", "").lower():
        raise web_errors.FORM_CROSS_SITE()


def _login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method in ("GET", "HEAD") else "/"
    return RedirectResponse(page_url("/login", next=target), status_code=303)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    return render_html(request, "error.html", exc.status, error=exc, minimal=True)


class PageRoute(APIRoute):
    """An API route whose refusals become pages: log-in redirect for 401, an error page otherwise."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                if exc.kind is NOT_AUTHENTICATED:
                    return _login_redirect(request)
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, VALIDATION_ERROR())

        return page_handler

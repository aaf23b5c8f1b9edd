"""FastAPI glue owned by core: the per-request session and the error responses."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from anyio import Semaphore
from anyio.lowlevel import RunVar
from fastapi import Depends, FastAPI, Path, Request
from fastapi.concurrency import contextmanager_in_threadpool, run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laotie.core.db import LOOKUP_SESSIONS, Database
from laotie.core.errors import (
    INTERNAL,
    NOT_FOUND,
    VALIDATION_ERROR,
    AppError,
    ErrorKind,
    preferred_language,
)
from laotie.core.idempotency import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_REQUIRED
from laotie.core.ids import MAX_ID
from laotie.core.request_body import BodyRefused
from laotie.core.uow import take_actions, unit_of_work

log = logging.getLogger(__name__)


# Open sessions per event loop and database: request sessions (``get_session``), and short lookups
# made outside a request's session (``lookup_gate``). See ``get_session`` for why.
_gates: RunVar[WeakKeyDictionary[Database, tuple[Semaphore, Semaphore]]] = RunVar("laotie_session_gates")


def _gates_of(db: Database) -> tuple[Semaphore, Semaphore]:
    try:
        gates = _gates.get()
    except LookupError:
        gates = WeakKeyDictionary()
        _gates.set(gates)
    if db not in gates:
        gates[db] = (Semaphore(db.pool_size), Semaphore(LOOKUP_SESSIONS))
    return gates[db]


def lookup_gate(db: Database) -> Semaphore:
    """Hold this around a short read in its own session from a request (a token lookup in a worker
    thread): a few at once, from the pool's spare connections, so the thread never waits on the pool.
    Take it after, never before, the request's own session."""
    return _gates_of(db)[1]


def session_gate(db: Database) -> Semaphore:
    """Hold this around a request's own session opened outside ``get_session`` (a hot read that
    builds its answer in one worker-thread call): the same gate, so the pool is never overdrawn."""
    return _gates_of(db)[0]


READ_METHODS = ("GET", "HEAD")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session (read-only for GET and HEAD); anything not committed is rolled back
    when the request finishes. Routes take it as ``DbSession``, which commits their writes.

    At most ``db.pool_size`` requests hold a session at once; the others wait here, in the event
    loop, holding neither a thread nor a connection. Without this gate, under load every worker
    thread could be blocked waiting for a pooled connection while the requests holding the
    connections wait for a thread to validate their response (FastAPI runs that step of a sync
    route in the same thread pool): the server deadlocks until the pool times out.
    """
    db: Database = request.app.state.db
    read_only = request.method in READ_METHODS
    async with (
        _gates_of(db)[0],
        contextmanager_in_threadpool(unit_of_work(db, read_only=read_only)) as session,
    ):
        yield session


async def route_session(request: Request, session: Session = Depends(get_session)) -> AsyncIterator[Session]:
    """The one place a route's unit of work commits: after a write route (any method but GET and
    HEAD) returns without error, before its answer is sent, so a failed commit is a 500 and never a
    2xx for something not kept. A route that raises is rolled back, whatever it flushed. Actions a
    route registered with ``uow.after_commit`` / ``uow.if_not_committed`` run here, accordingly."""
    if request.method in READ_METHODS:
        yield session
        return
    try:
        yield session
        await run_in_threadpool(session.commit)
    except BaseException:
        await _run(take_actions(session, committed=False))
        raise
    await _run(take_actions(session, committed=True))


async def _run(actions: Sequence[Any]) -> None:
    for action in actions:
        if inspect.iscoroutinefunction(action):
            await action()
        else:
            await run_in_threadpool(action)


# Every route's session. Function scope: the commit above runs when the route returns, before the
# answer goes out (the request-scoped ``get_session`` closes it after the answer is sent).
DbSession = Annotated[Session, Depends(route_session, scope="function")]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine code, e.g. SHOP_NOT_FOUND or VALIDATION_ERROR")
    message: str = Field(
        description="for people, in the caller's language (zh-CN unless English is preferred)"
    )
    details: dict[str, Any] = Field(description="what the code is about, e.g. the ids or the invalid fields")


class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorDetail


# Declared once for every operation, so clients and the schema fuzzer know the shape of an error;
# it also replaces FastAPI's default 422 schema, which is not what the handlers below send.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "Refused, with a stable error code"},
}


def _body(request: Request, code: str, message: str, details: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details}}


def _json_safe(errors: Sequence[Any]) -> list[dict[str, object]]:
    """Validation errors may carry exceptions and bytes; keep only what serialises."""
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in errors
    ]


def _only_missing_idempotency_key(errors: Sequence[Any]) -> bool:
    """A request whose one fault is a missing or empty Idempotency-Key (a required header) gets the
    code routes always gave it, not a generic validation error."""
    wanted = ("header", IDEMPOTENCY_HEADER.lower())
    return bool(errors) and all(
        tuple(str(p).lower() for p in e.get("loc", ())[:2]) == wanted
        and e.get("type") in ("missing", "string_too_short")
        for e in errors
    )


_HTTP_KINDS = {
    404: NOT_FOUND,
    405: ErrorKind("METHOD_NOT_ALLOWED", 405, "不支持该请求方法", "Method not allowed"),
}


def error_response(request: Request, exc: AppError) -> JSONResponse:
    """The answer to an ``AppError``: what its handler sends, for a hot route to return instead of
    raising (an exception travelling up through the middleware costs more than the answer)."""
    lang = preferred_language(request.headers.get("accept-language"))
    return JSONResponse(_body(request, exc.code, exc.message(lang), exc.details), status_code=exc.status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _only_missing_idempotency_key(exc.errors()):
            return error_response(request, IDEMPOTENCY_KEY_REQUIRED())
        lang = preferred_language(request.headers.get("accept-language"))
        err = VALIDATION_ERROR(errors=_json_safe(list(exc.errors())))
        body = _body(request, err.code, err.message(lang), err.details)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyRefused):
            return error_response(request, exc.error)
        lang = preferred_language(request.headers.get("accept-language"))
        kind = _HTTP_KINDS.get(exc.status_code)
        code = kind.code if kind else f"HTTP_{exc.status_code}"
        message = (kind.zh if lang == "zh" else kind.en) if kind else str(exc.detail)
        return JSONResponse(
            _body(request, code, message, {}),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = preferred_language(request.headers.get("accept-language"))
        err = INTERNAL()
        return JSONResponse(_body(request, err.code, err.message(lang), {}), status_code=500)


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


# A JSON string escape for NUL preceded by an even number of backslashes (so not "\\u0000" text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded")


def _carries_nul(scope: Scope, content_type: str, body: bytes) -> bool:
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
        return True
    if content_type.startswith("application/json"):
        # A plain find first: nearly every body has no escape at all, and the regex is the slow part.
        return b"\\u0000" in body and _JSON_NUL.search(body) is not None
    return b"%00" in body or b"\x00" in body


def _nul_refusal() -> AppError:
    return VALIDATION_ERROR(errors=[{"loc": ["request"], "msg": "NUL character (U+0000)", "type": "nul"}])


class RejectNulMiddleware:
    """Refuses text with a NUL character (U+0000) in the path, the query or a JSON or form body.

    PostgreSQL cannot store NUL in text at all (the driver raises, which would be a 500) while
    SQLite stores it silently; refusing it at the door keeps both databases alike. Multipart
    uploads are left alone: their files are binary.

    The body is checked as the route reads it, never read ahead: a body read before routing would be
    read whole, whatever its size, before the route's size limit applies (``core.request_body``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if _carries_nul(scope, "", b""):
            lang = preferred_language(headers.get(b"accept-language", b"").decode("latin-1") or None)
            err = _nul_refusal()
            body_out = {"error": {"code": err.code, "message": err.message(lang), "details": err.details}}
            await JSONResponse(body_out, status_code=422)(scope, receive, send)
            return
        if not content_type.startswith(_TEXT_BODIES):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def checked() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    chunks.clear()
                    if _carries_nul(scope, content_type, body):
                        raise BodyRefused(_nul_refusal())
            return message

        await self.app(scope, checked, send)

"""The hottest write routes answered before FastAPI's routing: buying and paying in a flash sale.

A flash sale's buyer taps 立即购买, then sends two requests per paid order (start paying, confirm at
the cashier). Their own work is a few statements shared with the other requests of a batch
(``orders.batcher``, ``core.batching``); what
each request cost beyond it was mostly the framework around it: the exception and exit-stack
middlewares, route matching, dependency solving (path, header, bearer and body parameters), the
response model validated again before it is dumped (issue 15, session 6: ~15 % of the pay phase's
samples; issue 15, session 7: half of a buy-now's main-thread samples). A domain registers a ``FastRoute`` for its route (``app`` wires them); this middleware,
inside the NUL and body-size checks, hands a matching request to it.

A handler takes only the plainest form of its request (a canonical id, a bearer token the principal
cache knows, one well-formed key) and returns ``False`` for anything else, having sent nothing: the
request then goes to the app unchanged (with its body, when the handler read it), so every refusal
keeps its route's status and stable code. An ``AppError`` the work answers is sent as its exception
handler sends it (``core.http.error_response``); anything else is raised, to the same last-resort
handler as a route's. ``tests/integration/payments/test_fast_routes.py`` and
``tests/integration/orders/test_fast_buy_now.py`` compare both paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.http import error_response
from laotie.core.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from laotie.core.ids import MAX_ID
from laotie.core.principal_cache import PrincipalCache
from laotie.core.request_body import BodyRefused

# A path id written the one canonical way (``/007`` and ``/+7`` go to the route, which decides).
ID = r"([1-9][0-9]{0,18})"
_JSON = b"application/json"
_IDEMPOTENCY = IDEMPOTENCY_HEADER.lower().encode()
ModelT = TypeVar("ModelT", bound=BaseModel)
# The handler: the request's scope, its path match, receive and send; ``True`` once it answered.
Handler = Callable[["FastCall"], Awaitable[bool]]


@dataclass(frozen=True)
class FastRoute:
    method: str
    path: re.Pattern[str]
    handler: Handler


@dataclass
class FastCall:
    scope: Scope
    match: re.Match[str]
    receive: Receive
    send: Send
    body: bytes | None = None  # set once the handler read it (given back to the app if it declines)

    def path_id(self, group: int = 1) -> int | None:
        value = int(self.match.group(group))
        return value if value <= MAX_ID else None

    def header(self, name: bytes) -> bytes | None:
        """The header's one value; ``None`` when absent or given twice (the route decides those)."""
        found = None
        for key, value in self.scope["headers"]:
            if key == name:
                if found is not None:
                    return None
                found = value
        return found

    def idempotency_key(self) -> str | None:
        raw = self.header(_IDEMPOTENCY)
        if raw is None:
            return None
        key = raw.decode("latin-1")
        return key if 1 <= len(key) <= MAX_KEY_LENGTH else None

    def _sends_json(self) -> bool:
        """The body is declared ``application/json`` (parameters aside), as FastAPI reads it."""
        content_type = self.header(b"content-type")
        return content_type is not None and content_type.partition(b";")[0].strip().lower() == _JSON

    async def principal(self) -> Principal | None:
        """The bearer token's principal through the principal cache (as ``CachedUser``); ``None``
        when there is no bearer token or it is not valid (the route answers 401)."""
        raw = self.header(b"authorization")
        if raw is None:
            return None
        scheme, _, token = raw.decode("latin-1").partition(" ")
        token = token.strip()  # as ``CachedBearer`` reads it (FastAPI's scheme parser)
        if scheme.lower() != "bearer" or not token:
            return None
        cache: PrincipalCache = self.scope["app"].state.principal_cache
        return await cache.resolve(token)

    async def read_body(self) -> bytes | None:
        """The whole body; ``None`` once a refusal (too large, a NUL) has been answered."""
        chunks: list[bytes] = []
        try:
            while True:
                message = await self.receive()
                if message["type"] != "http.request":
                    self.body = b"".join(chunks)
                    return self.body
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.body = b"".join(chunks)
                    return self.body
        except BodyRefused as refused:
            await self.answer_error(refused.error)
            return None

    async def read_json(self, model: type[ModelT]) -> ModelT | bool:
        """The JSON body as ``model`` takes it; else what the handler returns: ``False`` (the route
        decides: another content type, a body the model refuses) or ``True`` (refused while read,
        too large or with a NUL, and answered as the route would be)."""
        if not self._sends_json():
            return False
        body = await self.read_body()
        if body is None:
            return True
        try:
            # As FastAPI reads a JSON body: ``json.loads``, then the model validates what it parsed.
            return model.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            return False

    async def answer(self, status: int, body: bytes) -> bool:
        """What ``Response(content=body, media_type="application/json")`` sends."""
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON)]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})
        return True

    async def answer_error(self, exc: AppError) -> bool:
        return await self.respond(error_response(Request(self.scope), exc))

    async def respond(self, response: Response) -> bool:
        """Send a response the route's own code built (``True``: answered)."""
        await response(self.scope, self.receive, self.send)
        return True


def dump(model: Any) -> bytes:
    """A response model's JSON as FastAPI's default response dumps it (pydantic's serializer)."""
    return bytes(model.__pydantic_serializer__.to_json(model, by_alias=True))


class FastRoutesMiddleware:
    def __init__(self, app: ASGIApp, routes: list[FastRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("query_string"):
            method, path = scope["method"], scope["path"]
            for route in self.routes:
                if route.method != method:
                    continue
                match = route.path.fullmatch(path)
                if match is None:
                    continue
                call = FastCall(scope, match, receive, send)
                if await route.handler(call):
                    return
                if call.body is not None:
                    receive = _replay(call.body, receive)
                break
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app after a handler read the body: the body once, then the client's."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again

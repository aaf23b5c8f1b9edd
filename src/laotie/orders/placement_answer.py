"""The one place a placement's outcome becomes an HTTP answer, for every route that places (the API's
checkout and 立即购买, the live flash sale): the error as its stable code, or the checkout placed
(201), or the one placed before under the same key (200). Refusals are returned rather than raised,
and the answer is serialised once, by pydantic. The web checkout maps the same outcome to its page
(``Outcome.result``)."""

from __future__ import annotations

from fastapi import Request, Response

from laotie.core.http import error_response
from laotie.orders.placement_types import Outcome


def answer(request: Request, outcome: Outcome) -> Response:
    if outcome.error is not None:
        return error_response(request, outcome.error)
    placed = outcome.result()
    return Response(
        placed.model_dump_json(), status_code=200 if outcome.replayed else 201, media_type="application/json"
    )

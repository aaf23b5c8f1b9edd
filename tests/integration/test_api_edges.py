"""Edge values that random fuzzing seldom draws, sent to every operation: none may cause a 5xx.

For each operation (and each page, which the OpenAPI document leaves out), one input at a time is pushed past what the database holds: an integer beyond
BIGINT in a path, query or body field, and a 5,000-character string in a body field (PostgreSQL
refuses text longer than its VARCHAR, where SQLite would store it). Everything else in the request
is the smallest valid value, so the edge value is what the server reacts to. The caller holds
every role, so role-gated operations run past their gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import UnionType
from typing import Union, get_args, get_origin

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.access import all_roles_caller
from tests.factories.openapi import Operation, operations, properties
from tests.integration.routes import Endpoint, audit_routes, fill_path, path_params

BEYOND_BIGINT = 2**63
LONG_TEXT = "长" * 5000


def _is_integer(schema: dict[str, object]) -> bool:
    return schema.get("type") == "integer"


def probes(op: Operation) -> Iterator[tuple[str, str, object]]:
    """(what, url, body) for each edge value this operation takes."""
    body = op.minimal_body()
    for param in op.parameters:
        schema = properties(op, {"properties": {"p": param["schema"]}}).get("p", {})
        if not _is_integer(schema):
            continue
        if param["in"] == "path":
            yield f"path {param['name']}", op.url({param["name"]: BEYOND_BIGINT}), body
        elif param["in"] == "query":
            yield f"query {param['name']}", op.url({}, {param["name"]: BEYOND_BIGINT}), body
    if not isinstance(body, dict):
        return
    for name, schema in properties(op, op.body).items():
        if _is_integer(schema):
            yield f"body {name}", op.url({}), {**body, name: BEYOND_BIGINT}
        elif schema.get("type") == "string" and "enum" not in schema and "pattern" not in schema:
            yield f"body {name}", op.url({}), {**body, name: LONG_TEXT}


def _is_int(annotation: object) -> bool:
    return annotation is int or (get_origin(annotation) in (Union, UnionType) and int in get_args(annotation))


def page_probes(endpoint: Endpoint) -> Iterator[tuple[str, str]]:
    """(what, url) for each integer a page takes in its path or query (pages are not in OpenAPI)."""
    names = {name for name, annotation in path_params(endpoint.dependant) if _is_int(annotation)}
    for name in names:
        yield f"path {name}", fill_path(endpoint, {name: str(BEYOND_BIGINT)})
    for param in endpoint.dependant.query_params:
        if _is_int(param.field_info.annotation):
            yield f"query {param.name}", f"{fill_path(endpoint)}?{param.name}={BEYOND_BIGINT}"


def test_edge_values_are_refused_not_crashed(app: FastAPI, session: Session) -> None:
    _, headers = all_roles_caller(session)
    problems = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for op in operations(app.openapi()):
            for what, url, body in probes(op):
                kwargs = {"json": body} if body is not None else {}
                r = client.request(op.method, url, headers=headers(), **kwargs)
                if r.status_code >= 500:
                    problems.append(f"{op.label} with an edge value in {what}: {r.status_code}")
        pages = [e for e in audit_routes(app)[0] if e.is_page]
        for endpoint in pages:
            for what, url in page_probes(endpoint):
                r = client.request(endpoint.method, url, headers=headers(), follow_redirects=False)
                if r.status_code >= 500:
                    problems.append(f"{endpoint.label} (page) with an edge value in {what}: {r.status_code}")
    assert problems == [], "\n".join(problems)

"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid, as a user holding every role (so
role-gated operations run past their gate, and the user owns a shop with a product under small ids),
and every public operation gets them anonymously too. No answer may be a 5xx, and every answer must
conform to the schema: declared status codes, content types and bodies (errors included, which the
app declares once as ``ErrorOut`` for all 4xx). SQLite gets the full pass, PostgreSQL a lighter one;
generation is deterministic (fixed seed, no example database), so a failure reproduces.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.shops import service as shops
from tests.factories.access import Headers, all_roles_caller
from tests.factories.catalog import make_listed_product
from tests.factories.shops import application, make_reviewer, principal_of
from tests.integration.routes import audit_routes

EXAMPLES_PER_OPERATION = {"sqlite": 15, "postgres": 6}
# The operations are split by path into shards, each its own test, so pytest-xdist spreads them.
SHARDS = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


ANONYMOUS: Headers = dict


def _open_shop_with_a_product(app: FastAPI, session: Session, owner_id: int) -> None:
    """Real rows under small ids, which generated ids often are: the fuzzer then reaches past
    the lookups into the shop and product code."""
    reviewer, _ = make_reviewer(session)
    shop = shops.apply(session, principal_of(session, owner_id), application(categories.leaf_ids(session)[0]))
    shops.approve(session, shop.id, reviewer)
    session.commit()
    make_listed_product(session, shop.id, storage=app.state.storage, colours=["红", "黑"], sizes=["M"])


@pytest.fixture(params=["anonymous", "all_roles"])
def identity(request: pytest.FixtureRequest, app: FastAPI, session: Session) -> Headers:
    if request.param == "anonymous":
        return ANONYMOUS
    user_id, headers = all_roles_caller(session)
    _open_shop_with_a_product(app, session, user_id)
    return headers


def _only_public(app: FastAPI, paths: dict[str, Any]) -> dict[str, Any]:
    endpoints, _ = audit_routes(app)
    public = {(e.method.lower(), e.path) for e in endpoints if e.access.kind == "public"}
    kept = {path: {m: op for m, op in item.items() if (m, path) in public} for path, item in paths.items()}
    return {path: item for path, item in kept.items() if item}


@pytest.fixture(params=range(SHARDS), ids=lambda n: f"shard{n}")
def shard(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def _in_shard(paths: dict[str, Any], shard: int) -> dict[str, Any]:
    return {path: item for path, item in paths.items() if zlib.crc32(path.encode()) % SHARDS == shard}


@pytest.fixture
def api_schema(
    request: pytest.FixtureRequest, app: FastAPI, db: Database, identity: Headers, shard: int
) -> schemathesis.BaseSchema:
    # Depending on ``identity`` puts its parameters in this test's closure: schemathesis fetches
    # the test's own fixtures lazily, where pytest no longer parametrizes.
    # schemathesis 4.32 renames the running item through ``_nodeid``, which pytest 9 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    backend = "sqlite" if db.is_sqlite else "postgres"
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240601,
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION[backend],
                "deterministic": True,
                "database": "none",
            },
            # The coverage phase adds boundary values (huge ids, NULs, empty strings) and doubles the
            # run time, so it runs on SQLite; PostgreSQL gets the lighter random pass.
            "phases": {"coverage": {"enabled": backend == "sqlite"}, "stateful": {"enabled": False}},
        }
    )
    document = copy.deepcopy(app.openapi())
    if identity is ANONYMOUS:
        # Anonymous callers of the other operations only ever get 401, which the authorisation
        # matrix checks for every route: anonymous fuzzing spends its time on public operations.
        document["paths"] = _only_public(app, document["paths"])
    document["paths"] = _in_shard(document["paths"], shard)
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = app  # as ``from_asgi`` does: requests go to the app in-process
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_no_request_breaks_the_api(case: schemathesis.Case, identity: Headers, shard: int) -> None:
    case.call_and_validate(headers=identity(), checks=CHECKS)

"""Identifiers and secrets that leave the database."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Annotated

from pydantic import Field, Strict


def new_event_id() -> str:
    return uuid.uuid4().hex


def new_token() -> str:
    """An opaque bearer token; only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Database ids are BIGINT: a larger number from a client is bad input (422), never a database error.
MAX_ID = 2**63 - 1
# An id in a request body: a JSON integer within BIGINT's range (``true``, ``"1"``, ``1.0`` and 2**64
# are 422, never a database error). Path parameters use ``core.http.PathId``.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID, description="a row id")]

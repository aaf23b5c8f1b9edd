"""Idempotency keys for writes a client may retry (orders, payments, refunds, withdrawals).

The key is claimed inside the request's own transaction, and the response is stored with it, so the
write and its remembered answer commit together or not at all. A retry with the same key and the same
body gets the stored answer and moves nothing; the same key with a different body is refused (409).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Header
from sqlalchemy import JSON, Integer, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from laotie.core import clock
from laotie.core.db import Base, UTCDateTime
from laotie.core.errors import ErrorKind

IDEMPOTENCY_KEY_REUSED = ErrorKind(
    "IDEMPOTENCY_KEY_REUSED",
    409,
    "该幂等键已用于另一笔不同的操作",
    "That idempotency key was used for a different request",
)
IDEMPOTENCY_KEY_REQUIRED = ErrorKind(
    "IDEMPOTENCY_KEY_REQUIRED",
    422,
    "请求缺少 Idempotency-Key",
    "This request needs an Idempotency-Key header",
)
IDEMPOTENCY_IN_PROGRESS = ErrorKind(
    "IDEMPOTENCY_IN_PROGRESS",
    409,
    "相同的请求正在处理中，请稍后重试",
    "The same request is being processed; retry shortly",
)


IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100


def idempotency_key_header(description: str) -> Any:
    """The ``Idempotency-Key`` header of a route that refuses a request without one: declared required,
    so the OpenAPI document says so. A missing or empty key still answers 422
    ``IDEMPOTENCY_KEY_REQUIRED`` (``core.http`` maps the validation error to it)."""
    return Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=f"required, 1 to {MAX_KEY_LENGTH} characters, one per operation: {description}",
    )


class IdempotencyRecord(Base):
    __tablename__ = "core_idempotency"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # e.g. "orders.checkout:user:5"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(session: Session, scope: str, key: str, body: Any) -> StoredResponse | None:
    """Claim ``key`` for this request, or return the answer a previous identical request got."""
    digest = request_hash(body)
    existing = session.get(IdempotencyRecord, (scope, key))
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        request_hash=digest,
                        status_code=None,
                        response=None,
                        created_at=clock.now(),
                    )
                )
            return None
        except IntegrityError:
            # Another request with this key committed meanwhile (PostgreSQL waits for it, then lands here).
            existing = session.get(IdempotencyRecord, (scope, key), populate_existing=True)
            if existing is None:
                raise IDEMPOTENCY_IN_PROGRESS() from None
    if existing.request_hash != digest:
        raise IDEMPOTENCY_KEY_REUSED(key=key)
    if existing.status_code is None:
        raise IDEMPOTENCY_IN_PROGRESS()
    return StoredResponse(existing.status_code, existing.response)


def remember(session: Session, scope: str, key: str, status_code: int, body: Any) -> None:
    """Store the answer for a claimed key; commits with the request's own writes."""
    record = session.get(IdempotencyRecord, (scope, key))
    if record is None:
        raise RuntimeError(f"idempotency key {scope}/{key} was never claimed")
    record.status_code = status_code
    record.response = body
    session.flush()

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from laotie.core.auth import AnyUser, NoPrincipal, Principal
from laotie.core.batching import group_commit
from laotie.core.errors import NOT_FOUND, AppError
from laotie.core.http import DbSession, PathId
from laotie.payments import errors, gateway, service, webhook_batch
from laotie.payments.interfaces import InvalidSignature
from laotie.payments.sandbox import webhook_doc
from laotie.payments.schemas import (
    AgreementOut,
    IntentEventOut,
    IntentOut,
    WebhookAck,
    WebhookBatchAck,
    WebhookBatchItemAck,
    WebhookOutcome,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


async def _read_at_most(request: Request, limit: int) -> bytes:
    # The signature covers the exact bytes sent, so the body must not be parsed before it is checked;
    # and an unauthenticated endpoint reads no more than a real delivery can be.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.WEBHOOK_TOO_LARGE(limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def raw_body(request: Request) -> bytes:
    return await _read_at_most(request, webhook_doc.MAX_WEBHOOK_BYTES)


async def raw_batch_body(request: Request) -> bytes:
    return await _read_at_most(request, webhook_doc.MAX_BATCH_BYTES)


def _own_intent(session: DbSession, intent_id: PathId, principal: Principal = AnyUser) -> IntentOut:
    return service.get_intent_for(session, intent_id, principal)


# Load-and-authorise: the buyer's own intent (staff see all); anyone else's is PAYMENT_NOT_FOUND.
OwnIntent = Annotated[IntentOut, Depends(_own_intent)]


@router.get("/intents/{intent_id}", response_model=IntentOut)
def get_intent(intent: OwnIntent) -> IntentOut:
    """The buyer's payment, to follow it after paying at the cashier."""
    return intent


@router.get("/intents/{intent_id}/events", response_model=list[IntentEventOut])
def get_intent_events(session: DbSession, intent: OwnIntent) -> list[IntentEventOut]:
    return service.intent_events(session, intent.id)


@router.post(
    "/webhooks/sandbox",
    response_model=WebhookAck,
    description=webhook_doc.DESCRIPTION,
    openapi_extra=webhook_doc.OPENAPI_EXTRA,
)
async def sandbox_webhook(
    request: Request, body: bytes = Depends(raw_body), _: None = NoPrincipal
) -> WebhookAck:
    """Notifications from the sandbox PSP, authenticated by their signature rather than a user.
    Answers 2xx only once the change is committed, so the PSP retries anything we lost. Concurrent
    notifications are applied together in one transaction (``core.batching.run_item``,
    ``payments.webhook_batch``): the common ones with a few statements for all, any other one alone
    in its own savepoint, so that one that fails (an unknown payment) is rolled back alone."""
    if gateway.provider_name() != "sandbox":
        raise NOT_FOUND()
    delivery = webhook_batch.Delivery("sandbox", body, dict(request.headers))
    try:
        outcome = await group_commit(request.app, "payments").run_item(webhook_batch.apply_many, delivery)
    except InvalidSignature as refused:  # recorded in the batch's transaction, answered as an error
        raise errors.INVALID_SIGNATURE(reason=refused.reason) from None
    return WebhookAck(outcome=outcome)


@router.post(
    "/webhooks/sandbox/batch",
    response_model=WebhookBatchAck,
    description=webhook_doc.BATCH_DESCRIPTION,
    openapi_extra=webhook_doc.OPENAPI_EXTRA_BATCH,
)
async def sandbox_webhook_batch(
    request: Request, body: bytes = Depends(raw_batch_body), _: None = NoPrincipal
) -> WebhookBatchAck:
    """Many notifications under one signature (what the sandbox's own sender posts): verified once,
    applied with the other webhooks of the moment in one transaction, each event on its own (its
    receipt, its savepoint when it takes the slow path). Answers per event what the single endpoint
    would, so the PSP marks exactly those delivered and sends the others again."""
    if gateway.provider_name() != "sandbox":
        raise NOT_FOUND()
    delivery = webhook_batch.BatchDelivery("sandbox", body, dict(request.headers))
    try:
        entries = await group_commit(request.app, "payments").run_item(webhook_batch.apply_many, delivery)
    except InvalidSignature as refused:  # the whole body refused (recorded): nothing applied
        raise errors.INVALID_SIGNATURE(reason=refused.reason) from None
    return WebhookBatchAck(results=[item_ack(event_id, entry) for event_id, entry in entries])


@router.post("/agreements", response_model=AgreementOut, status_code=201)
def sign_agreement(session: DbSession, principal: Principal = AnyUser) -> AgreementOut:
    """开通先用后付: authorise pay-after-use charges without interaction."""
    return service.sign_agreement(session, principal.user_id)


@router.get("/agreements/me", response_model=AgreementOut)
def my_agreement(session: DbSession, principal: Principal = AnyUser) -> AgreementOut:
    out = service.agreement_of(session, principal.user_id)
    if out is None:
        raise errors.AGREEMENT_NOT_FOUND(buyer_id=principal.user_id)
    return out


@router.delete("/agreements/me", status_code=204)
def revoke_agreement(session: DbSession, principal: Principal = AnyUser) -> None:
    service.revoke_agreement(session, principal.user_id)


def item_ack(event_id: str, entry: Any) -> WebhookBatchItemAck:
    """An event's entry from ``webhook_batch.apply_many`` as the single endpoint would answer it."""
    if isinstance(entry, WebhookOutcome):
        return WebhookBatchItemAck(id=event_id, status=200, outcome=entry)
    if isinstance(entry, InvalidSignature):
        return WebhookBatchItemAck(
            id=event_id, status=400, outcome=WebhookOutcome.REJECTED, error="INVALID_SIGNATURE"
        )
    if isinstance(entry, AppError):
        return WebhookBatchItemAck(id=event_id, status=entry.status, error=entry.code)
    # A crash while applying it (logged by the batch): rolled back alone, to be sent again.
    log.error("webhook %s failed", event_id, exc_info=entry if isinstance(entry, BaseException) else None)
    return WebhookBatchItemAck(id=event_id, status=500, error="INTERNAL")

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from laotie.core.auth import AnyUser, NoPrincipal, Principal
from laotie.core.batching import group_commit
from laotie.core.errors import NOT_FOUND
from laotie.core.http import DbSession, PathId
from laotie.payments import errors, gateway, service, webhook_batch
from laotie.payments.interfaces import InvalidSignature
from laotie.payments.sandbox import webhook_doc
from laotie.payments.schemas import AgreementOut, IntentEventOut, IntentOut, WebhookAck

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


MAX_WEBHOOK_BYTES = 64 * 1024


async def raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes sent, so the body must not be parsed before it is checked;
    # and an unauthenticated endpoint reads no more than a real event can be.
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            raise errors.WEBHOOK_TOO_LARGE(limit=MAX_WEBHOOK_BYTES)
    return body


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

"""The sandbox PSP's own HTTP face: its cashier (收银台), where the buyer's app confirms a payment with a
test payment method. It answers only "accepted"; the platform learns the outcome by webhook."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from laotie.core.auth import NoPrincipal, PublicAccess
from laotie.core.batching import group_commit
from laotie.core.errors import NOT_FOUND, AppError
from laotie.core.fast_routes import FastCall, FastRoute, dump
from laotie.core.http import DbSession
from laotie.payments.sandbox import psp
from laotie.payments.sandbox.models import SandboxCharge
from laotie.settings import get_settings

router = APIRouter(prefix="/api/v1/payments/sandbox", tags=["payments sandbox"])


class Confirm(BaseModel):
    client_secret: str = Field(min_length=1, max_length=100)
    payment_method: str = Field(min_length=1, max_length=40, examples=list(psp.TEST_TOKENS))


class CashierOut(BaseModel):
    provider_ref: str
    amount_fen: int
    status: str
    expires_at: datetime | None
    payment_methods: list[str]


def _out(charge: SandboxCharge | psp.Confirmed, status: str | None = None) -> CashierOut:
    return CashierOut(
        provider_ref=charge.provider_ref,
        amount_fen=charge.amount_fen,
        status=status or charge.status,
        expires_at=charge.expires_at,
        payment_methods=list(psp.TEST_TOKENS),
    )


def _sandbox_only() -> None:
    if get_settings().payment_provider != "sandbox":
        raise NOT_FOUND()


@router.get("/intents/{provider_ref}", response_model=CashierOut)
def cashier(
    session: DbSession,
    provider_ref: str,
    client_secret: str = Query(max_length=100),
    _: object = PublicAccess,
) -> CashierOut:
    """What the cashier shows before the buyer pays."""
    _sandbox_only()
    return _out(psp.get_charge(session, provider_ref, client_secret))


@router.post("/intents/{provider_ref}/confirm", response_model=CashierOut, status_code=202)
async def confirm(request: Request, provider_ref: str, body: Confirm, _: None = NoPrincipal) -> CashierOut:
    """Pay with a test payment method (tok_ok, tok_decline, tok_timeout, tok_duplicate,
    tok_out_of_order). Authenticated by the intent's client secret, as at a real PSP. Concurrent
    confirmations are decided together (``cashier.confirm_many`` through ``core.batching.run_item``)
    in the transaction of the payments' group commit."""
    _sandbox_only()
    wanted = psp.ConfirmIn(provider_ref, body.client_secret, body.payment_method)
    confirmed: psp.Confirmed = await group_commit(request.app, "payments").run_item(psp.confirm_many, wanted)
    return _out(confirmed, status="processing")


async def _fast_confirm(call: FastCall) -> bool:
    """``confirm`` before routing (``core.fast_routes``) for its plainest request: a JSON body the
    route's model takes as it is; anything else (another content type, a body it refuses) goes to
    the route, with the body read here given back."""
    if get_settings().payment_provider != "sandbox":
        return False
    wanted = await call.read_json(Confirm)
    if isinstance(wanted, bool):
        return wanted
    item = psp.ConfirmIn(call.match.group(1), wanted.client_secret, wanted.payment_method)
    try:
        confirmed = await group_commit(call.scope["app"], "payments").run_item(psp.confirm_many, item)
    except AppError as exc:
        return await call.answer_error(exc)
    return await call.answer(202, dump(_out(confirmed, status="processing")))


FAST_CONFIRM = FastRoute(
    "POST", re.compile(r"/api/v1/payments/sandbox/intents/([^/]+)/confirm"), _fast_confirm
)

"""Which payment and payout provider this platform talks to (``LAOTIE_PAYMENT_PROVIDER``).

Providers are looked up per call with the caller's session, because the built-in sandbox keeps its
records in the same database and transaction (see ``sandbox.provider``); a remote PSP ignores it.
Tests replace a provider by patching ``get_provider``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.payments.interfaces import PaymentProvider, PayoutProvider
from laotie.payments.sandbox.provider import SandboxProvider
from laotie.settings import get_settings


def provider_name() -> str:
    return get_settings().payment_provider


def get_provider(session: Session) -> PaymentProvider:
    name = provider_name()
    if name == "sandbox":
        return SandboxProvider(session)
    raise RuntimeError(f"unknown payment provider {name!r} (LAOTIE_PAYMENT_PROVIDER)")


def get_payout_provider(session: Session) -> PayoutProvider:
    name = provider_name()
    if name == "sandbox":
        return SandboxProvider(session)
    raise RuntimeError(f"unknown payout provider {name!r} (LAOTIE_PAYMENT_PROVIDER)")

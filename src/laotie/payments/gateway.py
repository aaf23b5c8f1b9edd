"""Which payment and payout provider this platform talks to: ``LAOTIE_PAYMENT_PROVIDER`` names one
of the providers registered in ``core.providers`` (the sandbox registers itself in
``payments.tasks.register``; a real PSP is one more registration).

Providers are built per call with the caller's session, because the built-in sandbox keeps its
records in the same database and transaction (see ``sandbox.provider``); a remote PSP ignores it.
Tests replace a provider by patching ``get_provider``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.providers import providers
from laotie.payments.interfaces import PaymentProvider, PayoutProvider
from laotie.settings import get_settings

PAYMENTS = "payments"  # the provider kind: its factory takes the session, its product does both
# Optional: threads a provider runs beside the outbox worker; factory(db, settings) -> stop or None.
PAYMENTS_THREADS = "payments.threads"


def provider_name() -> str:
    return get_settings().payment_provider


def get_provider(session: Session) -> PaymentProvider:
    provider: PaymentProvider = providers.factory(PAYMENTS, provider_name())(session)
    return provider


def get_payout_provider(session: Session) -> PayoutProvider:
    provider: PayoutProvider = providers.factory(PAYMENTS, provider_name())(session)
    return provider

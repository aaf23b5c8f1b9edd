"""Pay-after-use (先用后付) agreements: a buyer's standing authorisation to be charged without
interaction, signed at the provider and remembered here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.payments import errors, gateway
from laotie.payments.interfaces import ProviderError
from laotie.payments.models import PaymentAgreement
from laotie.payments.schemas import AgreementOut


def active_agreement(session: Session, buyer_id: int) -> PaymentAgreement | None:
    row = session.scalar(select(PaymentAgreement).where(PaymentAgreement.buyer_id == buyer_id))
    return row if row is not None and row.revoked_at is None else None


def _agreement_out(row: PaymentAgreement) -> AgreementOut:
    return AgreementOut(
        id=row.id,
        buyer_id=row.buyer_id,
        provider=row.provider,
        agreement_ref=row.agreement_ref,
        created_at=row.created_at,
        active=row.revoked_at is None,
    )


def sign_agreement(session: Session, buyer_id: int) -> AgreementOut:
    """The buyer authorises charges without interaction for pay-after-use; signing again keeps the
    active agreement."""
    row = session.scalar(
        select(PaymentAgreement).where(PaymentAgreement.buyer_id == buyer_id).with_for_update()
    )
    if row is not None and row.revoked_at is None:
        return _agreement_out(row)
    try:
        ref = gateway.get_provider(session).create_agreement(customer_ref=str(buyer_id))
    except ProviderError as exc:
        raise errors.PROVIDER_UNAVAILABLE(reason=str(exc)) from exc
    now = clock.now()
    if row is None:
        row = PaymentAgreement(
            buyer_id=buyer_id, provider=gateway.provider_name(), agreement_ref=ref, created_at=now
        )
        session.add(row)
    else:
        row.provider, row.agreement_ref, row.created_at, row.revoked_at = (
            gateway.provider_name(),
            ref,
            now,
            None,
        )
    session.flush()
    return _agreement_out(row)


def revoke_agreement(session: Session, buyer_id: int) -> None:
    row = active_agreement(session, buyer_id)
    if row is not None:
        row.revoked_at = clock.now()
        session.flush()


def agreement_of(session: Session, buyer_id: int) -> AgreementOut | None:
    row = active_agreement(session, buyer_id)
    return _agreement_out(row) if row is not None else None

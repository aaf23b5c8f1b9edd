"""Evidence photos: checked by decoding them (catalog's image check: JPEG, PNG or WebP, size limit,
EXIF and trailing bytes dropped, pixels bounded before decoding), stored under keys nobody can
guess, served only to the case's parties and governance staff. A person uploads at most
``aftersales_evidence_per_hour`` photos an hour."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.aftersales import errors
from laotie.aftersales.access import visible_case
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.models import Evidence, Party
from laotie.aftersales.schemas import EvidenceOut
from laotie.aftersales.state import FINAL, evidence_out, record
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import RATE_LIMITED
from laotie.core.storage import FileStorage
from laotie.settings import get_settings


def upload(
    session: Session,
    storage: FileStorage,
    principal: Principal,
    data: bytes,
    note: str = "",
    case_id: int | None = None,
) -> EvidenceOut:
    """A photo for a case (either party), or, without ``case_id``, one a buyer uploads before
    opening a refund-only claim and names in it."""
    settings = get_settings()
    _check_hourly_uploads(session, principal.user_id, settings.aftersales_evidence_per_hour)
    party = Party.BUYER
    if case_id is not None:
        case, party = visible_case(session, principal, case_id)
        if party == Party.STAFF or case.status in FINAL:
            raise errors.CASE_NOT_FOUND(case_id=case_id)
        count = session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.case_id == case_id, Evidence.party == party.value)
        )
        if (count or 0) >= settings.aftersales_max_evidence:
            raise errors.TOO_MUCH_EVIDENCE(max=settings.aftersales_max_evidence)
    processed = catalog.process_image(data, settings.max_upload_bytes)
    key = storage.put("aftersales", processed.suffix, processed.original)
    row = Evidence(
        case_id=case_id,
        party=party.value,
        uploaded_by=principal.user_id,
        storage_key=key,
        content_type=processed.content_type,
        size_bytes=len(processed.original),
        note=note[:200],
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    if case_id is not None:
        status = case.status.value
        record(
            session,
            case_id,
            E.EVIDENCE,
            principal.user_id,
            party,
            status,
            status,
            note,
            {"evidence_id": row.id},
        )
    return evidence_out(row)


def _check_hourly_uploads(session: Session, user_id: int, per_hour: int) -> None:
    """At most ``per_hour`` photos per person in any hour, over all their cases: each one is decoded,
    so a loop of uploads is a way to burn the server's CPU (checked before any decoding)."""
    since = clock.now() - timedelta(hours=1)
    recent = session.scalar(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.uploaded_by == user_id, Evidence.uploaded_at >= since)
    )
    if (recent or 0) >= per_hour:
        raise RATE_LIMITED(limit=per_hour, per="hour", what="evidence")


def read(
    session: Session, storage: FileStorage, principal: Principal, evidence_id: int
) -> tuple[EvidenceOut, bytes]:
    row = session.get(Evidence, evidence_id)
    if row is None:
        raise errors.CASE_NOT_FOUND(evidence_id=evidence_id)
    if row.case_id is None:
        if row.uploaded_by != principal.user_id:
            raise errors.CASE_NOT_FOUND(evidence_id=evidence_id)
    else:
        visible_case(session, principal, row.case_id)
    return evidence_out(row), storage.read(row.storage_key)

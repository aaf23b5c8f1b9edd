"""Evidence on reports, cases and appeals: photos (checked like catalog images and kept under keys
nobody can guess), links, an order of the reporter's, statements, and what a detector or inspection saw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.storage import FileStorage
from laotie.governance import errors
from laotie.governance.models import Evidence
from laotie.governance.schemas import EvidenceOut
from laotie.settings import get_settings

PENDING = "pending"  # an uploaded file not yet named by a report or appeal


def evidence_out(row: Evidence) -> EvidenceOut:
    return EvidenceOut(
        id=row.id,
        kind=row.kind,
        url=row.url,
        order_id=row.order_id,
        note=row.note,
        content_type=row.content_type,
        has_file=row.storage_key is not None,
        shown_to_subject=row.shown_to_subject,
        data=dict(row.data),
        created_at=row.created_at,
    )


def add(
    session: Session,
    owner_kind: str,
    owner_id: int,
    kind: str,
    *,
    note: str = "",
    url: str | None = None,
    order_id: int | None = None,
    data: dict[str, Any] | None = None,
    shown: bool = True,
    added_by: int | None = None,
) -> Evidence:
    row = Evidence(
        owner_kind=owner_kind,
        owner_id=owner_id,
        kind=kind,
        url=url,
        order_id=order_id,
        note=note[:1000],
        data=data or {},
        shown_to_subject=shown,
        added_by=added_by,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def upload(
    session: Session, storage: FileStorage, principal: Principal, data: bytes, note: str = ""
) -> EvidenceOut:
    """A photo uploaded before the report or appeal that names it (like after-sales evidence)."""
    processed = catalog.process_image(data, get_settings().max_upload_bytes)
    key = storage.put("governance", processed.suffix, processed.original)
    row = Evidence(
        owner_kind=PENDING,
        owner_id=principal.user_id,
        kind="file",
        storage_key=key,
        content_type=processed.content_type,
        note=note[:200],
        data={},
        shown_to_subject=True,
        added_by=principal.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return evidence_out(row)


def claim(
    session: Session, principal: Principal, ids: Iterable[int], owner_kind: str, owner_id: int, shown: bool
) -> int:
    """Attach the caller's own pending uploads to a report or appeal; anyone else's id is refused."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    done = session.execute(
        update(Evidence)
        .where(
            Evidence.id.in_(wanted),
            Evidence.owner_kind == PENDING,
            Evidence.owner_id == principal.user_id,
        )
        .values(owner_kind=owner_kind, owner_id=owner_id, shown_to_subject=shown)
    ).rowcount  # type: ignore[attr-defined]
    if done != len(wanted):
        raise errors.BAD_EVIDENCE(why="图片不存在或不属于你")
    return int(done)


def of(session: Session, owners: list[tuple[str, int]], *, subject_view: bool = False) -> list[EvidenceOut]:
    out: list[EvidenceOut] = []
    for kind, owner_id in owners:
        query = select(Evidence).where(Evidence.owner_kind == kind, Evidence.owner_id == owner_id)
        if subject_view:
            query = query.where(Evidence.shown_to_subject.is_(True))
        out.extend(evidence_out(r) for r in session.scalars(query.order_by(Evidence.id)).all())
    return out


def load(session: Session, evidence_id: int) -> Evidence:
    row = session.get(Evidence, evidence_id)
    if row is None or row.storage_key is None:
        raise errors.EVIDENCE_NOT_FOUND(evidence_id=evidence_id)
    return row

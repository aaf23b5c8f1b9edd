"""Reading the index for the feed and the shelves: documents by shop, category, recency or rank,
without the full-text match (``service.docs``), and product cards by id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.search.models import SearchDoc
from laotie.search.schemas import DocView

Order = Literal["rank", "new", "popular"]
_FIELDS = list(DocView.model_fields)


def _view(d: SearchDoc) -> DocView:
    return DocView(**{f: getattr(d, f) for f in _FIELDS})


def docs(
    session: Session,
    kind: str,
    *,
    shop_ids: Iterable[int] | None = None,
    author_ids: Iterable[int] | None = None,
    category_ids: Iterable[int] | None = None,
    ref_ids: Iterable[int] | None = None,
    opened_since: datetime | None = None,
    order: Order = "rank",
    limit: int = 50,
) -> list[DocView]:
    """Visible documents that public traffic may show (distribution not stopped)."""
    query = select(SearchDoc).where(
        SearchDoc.kind == kind, SearchDoc.visible.is_(True), SearchDoc.distributed.is_(True)
    )
    if shop_ids is not None:
        query = query.where(SearchDoc.shop_id.in_(sorted(set(shop_ids))))
    if author_ids is not None:
        query = query.where(SearchDoc.author_id.in_(sorted(set(author_ids))))
    if category_ids is not None:
        query = query.where(SearchDoc.category_id.in_(sorted(set(category_ids))))
    if ref_ids is not None:
        query = query.where(SearchDoc.ref_id.in_(sorted(set(ref_ids))))
    if opened_since is not None:
        query = query.where(SearchDoc.shop_opened_at >= opened_since)
    if order == "new":
        query = query.order_by(SearchDoc.published_at.desc(), SearchDoc.id.desc())
    elif order == "popular":
        query = query.order_by(SearchDoc.popularity.desc(), SearchDoc.rank_bp.desc(), SearchDoc.id.desc())
    else:
        query = query.order_by(SearchDoc.rank_bp.desc(), SearchDoc.sales.desc(), SearchDoc.id.desc())
    return [_view(d) for d in session.scalars(query.limit(limit))]
